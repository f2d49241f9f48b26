#include "gramlite/data/wsi/background.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gramlite/data/synth_slide/synthetic_slide.h"
#include "gramlite/data/wsi/tiler.h"
#include "test_slides.h"

namespace gramlite::data::wsi {
namespace {

// Per label cell (224 px): the mask's verdict (>= half smear) against the label map (0 = glass).
double agreement_with_labels(const TissueMask& mask, const cv::Mat& labels, int label_tile) {
  int agree = 0;
  for (int row = 0; row < labels.rows; ++row) {
    for (int col = 0; col < labels.cols; ++col) {
      const bool smear = mask.fraction(int64_t{col} * label_tile, int64_t{row} * label_tile, label_tile, label_tile) >= 0.5;
      agree += smear == (labels.at<uint8_t>(row, col) != 0);
    }
  }
  return static_cast<double>(agree) / (labels.rows * labels.cols);
}

TEST(Background, OtsuMaskAgreesWithTheLabelMap) {
  auto slide = open_slide(testing::synthetic_slide_path());
  ASSERT_TRUE(slide.ok());
  const cv::Mat labels =
      cv::imread(synth_slide::label_map_path_for(testing::synthetic_slide_path()), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(labels.empty());
  BackgroundOptions options;
  options.thumbnail_max_size = 1024;
  auto mask = compute_tissue_mask(**slide, options);
  ASSERT_TRUE(mask.ok()) << mask.status().message();
  const BackgroundThresholds& t = mask->thresholds();
  EXPECT_EQ(t.thumbnail_width, 1024);
  EXPECT_EQ(t.thumbnail_height, 768);
  EXPECT_TRUE(t.saturation_from_otsu);
  EXPECT_GT(t.saturation, 0.02);
  EXPECT_LT(t.saturation, 0.5);
  EXPECT_GT(t.slide_tissue_fraction, 0.2);
  EXPECT_LT(t.slide_tissue_fraction, 0.9);
  const double agreement = agreement_with_labels(*mask, labels, 224);
  std::cout << "Otsu saturation threshold " << t.saturation << ", smear fraction " << t.slide_tissue_fraction
            << ", agreement with labels " << agreement << "\n";
  EXPECT_GE(agreement, 0.9);

  // A fixed threshold works too and is reported as such.
  options.use_otsu = false;
  options.saturation_threshold = 0.05;
  mask = compute_tissue_mask(**slide, options);
  ASSERT_TRUE(mask.ok());
  EXPECT_FALSE(mask->thresholds().saturation_from_otsu);
  EXPECT_NEAR(mask->thresholds().saturation, 0.05, 1e-9);
  EXPECT_GE(agreement_with_labels(*mask, labels, 224), 0.9);
}

TEST(Background, TilePixelsOfGlassAndSmearAreTold) {
  auto slide = open_slide(testing::synthetic_slide_path());
  ASSERT_TRUE(slide.ok());
  const cv::Mat labels =
      cv::imread(synth_slide::label_map_path_for(testing::synthetic_slide_path()), cv::IMREAD_UNCHANGED);
  auto mask = compute_tissue_mask(**slide, BackgroundOptions());
  ASSERT_TRUE(mask.ok());
  int glass = 0, smear = 0;
  for (int row = 0; row < labels.rows - 1; ++row) {
    for (int col = 0; col < labels.cols - 1; ++col) {
      auto pixels = (*slide)->read_region(0, col * 224 + 56, row * 224 + 56, 112, 112);  // cell centre
      ASSERT_TRUE(pixels.ok());
      const double fraction = tissue_fraction(*pixels, mask->thresholds());
      if (labels.at<uint8_t>(row, col) == 0) {
        EXPECT_LT(fraction, 0.05) << col << "," << row;
        ++glass;
      } else {
        EXPECT_GT(fraction, 0.5) << col << "," << row;
        ++smear;
      }
    }
  }
  EXPECT_GT(glass, 10);
  EXPECT_GT(smear, 10);
}

TEST(Background, TilerKeepsSmearTilesAndDropsGlass) {
  auto slide = open_slide(testing::synthetic_slide_path());
  ASSERT_TRUE(slide.ok());
  const cv::Mat labels =
      cv::imread(synth_slide::label_map_path_for(testing::synthetic_slide_path()), cv::IMREAD_UNCHANGED);
  TilingOptions options;  // level 0, 224 px: one tile per label cell
  int agree = 0, total = 0;
  auto summary = for_each_tile(**slide, options, [&](const Tile& tile) {
    EXPECT_EQ(tile.image.pixels.empty(), !tile.kept);  // rejected tiles are not read
    agree += tile.kept == (labels.at<uint8_t>(static_cast<int>(tile.rect.row), static_cast<int>(tile.rect.col)) != 0);
    ++total;
    return Status::Ok();
  });
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_GT(summary->tiles_kept, 0);
  EXPECT_LT(summary->tiles_kept, summary->tiles_total);
  EXPECT_GE(static_cast<double>(agree) / total, 0.9);
}

}  // namespace
}  // namespace gramlite::data::wsi
