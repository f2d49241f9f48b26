#include "gramlite/data/wsi/tiler.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "test_slides.h"

namespace gramlite::data::wsi {
namespace {

std::unique_ptr<Slide> open_synthetic() {
  auto slide = open_slide(testing::synthetic_slide_path());
  EXPECT_TRUE(slide.ok()) << slide.status().message();
  return std::move(slide).value();
}

// Every level-0 pixel of the grid's area is covered by exactly one tile, nothing outside it.
void expect_exact_cover(const Slide& slide, const TilingOptions& options, int64_t covered_w, int64_t covered_h) {
  auto grid = plan_tile_grid(slide, options);
  ASSERT_TRUE(grid.ok()) << grid.status().message();
  const int64_t w = slide.level(0).width, h = slide.level(0).height;
  const int64_t cw = std::max(w, covered_w), ch = std::max(h, covered_h);
  std::vector<uint8_t> count(static_cast<size_t>(cw * ch), 0);
  for (int64_t row = 0; row < grid->rows; ++row) {
    for (int64_t col = 0; col < grid->cols; ++col) {
      const TileRect r = tile_rect(*grid, col, row);
      ASSERT_GE(r.x, 0);
      ASSERT_LE(r.x + r.width, cw);
      ASSERT_LE(r.y + r.height, ch);
      for (int64_t y = r.y; y < r.y + r.height; ++y) {
        for (int64_t x = r.x; x < r.x + r.width; ++x) ++count[static_cast<size_t>(y * cw + x)];
      }
    }
  }
  for (int64_t y = 0; y < ch; ++y) {
    for (int64_t x = 0; x < cw; ++x) {
      const int expected = (x < covered_w && y < covered_h) ? 1 : 0;
      ASSERT_EQ(count[static_cast<size_t>(y * cw + x)], expected) << "pixel " << x << "," << y;
    }
  }
}

TEST(Tiler, GridAtLevel0CoversWholeTilesOnceAndDropsTheEdges) {
  const auto slide = open_synthetic();
  TilingOptions options;  // slide's own mpp, 224 px, stride = size, drop edges
  auto grid = plan_tile_grid(*slide, options);
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->level, 0);
  EXPECT_EQ(grid->cols, 4096 / 224);
  EXPECT_EQ(grid->rows, 3072 / 224);
  EXPECT_NEAR(grid->output_mpp, 0.25, 1e-4);
  expect_exact_cover(*slide, options, 18 * 224, 13 * 224);
}

TEST(Tiler, NonIntegerDownsampleStillTilesWithoutGapsOrOverlaps) {
  const auto slide = open_synthetic();
  TilingOptions options;
  options.microns_per_pixel = 0.6;  // downsample 2.4: read level 1, shrink by 1.2
  options.tile_size = 100;
  auto grid = plan_tile_grid(*slide, options);
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->level, 1);
  EXPECT_NEAR(grid->downsample, 2.4, 1e-3);
  EXPECT_EQ(grid->output_width, 1706);  // floor(4096 / 2.4)
  EXPECT_EQ(grid->cols, 17);
  EXPECT_EQ(grid->rows, 12);
  expect_exact_cover(*slide, options, tile_rect(*grid, 16, 0).x + tile_rect(*grid, 16, 0).width,
                     tile_rect(*grid, 0, 11).y + tile_rect(*grid, 0, 11).height);
  // Padding keeps the partial edge tiles: the whole slide is covered (the overhang is white).
  options.edge_tiles = EdgeTiles::kPadWhite;
  grid = plan_tile_grid(*slide, options);
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->cols, 18);
  EXPECT_EQ(grid->rows, 13);
  const TileRect last = tile_rect(*grid, grid->cols - 1, grid->rows - 1);
  EXPECT_GE(last.x + last.width, 4096);
  EXPECT_GE(last.y + last.height, 3072);
  expect_exact_cover(*slide, options, last.x + last.width, last.y + last.height);
}

TEST(Tiler, PicksTheCoarsestLevelNotCoarserThanWanted) {
  const auto slide = open_synthetic();
  const auto level_for = [&](double mpp, double magnification) {
    TilingOptions options;
    options.microns_per_pixel = mpp;
    options.magnification = magnification;
    return plan_tile_grid(*slide, options)->level;
  };
  EXPECT_EQ(level_for(0.25, 0), 0);
  EXPECT_EQ(level_for(0.1, 0), 0);  // finer than level 0: level 0, never upsampled
  EXPECT_EQ(level_for(0.49, 0), 0);
  EXPECT_EQ(level_for(0.5, 0), 1);
  EXPECT_EQ(level_for(1.0, 0), 2);
  EXPECT_EQ(level_for(1.9, 0), 2);
  EXPECT_EQ(level_for(8.0, 0), 3);
  EXPECT_EQ(level_for(0, 20), 1);  // 20x = 0.5 um/px
  EXPECT_EQ(level_for(0, 10), 2);  // 10x = 1.0 um/px
}

TEST(Tiler, StreamsRowMajorTilesOfTheRightSizeSameOnAnyThreadCount) {
  const auto slide = open_synthetic();
  TilingOptions options;
  options.microns_per_pixel = 1.0;
  options.tile_size = 128;
  options.reject_background = false;
  std::vector<std::vector<uint8_t>> one_thread;
  auto summary = for_each_tile(*slide, options, [&](const Tile& tile) {
    EXPECT_EQ(tile.rect.col, static_cast<int64_t>(one_thread.size()) % 8);
    EXPECT_EQ(tile.image.width, 128);
    EXPECT_EQ(tile.image.height, 128);
    one_thread.push_back(tile.image.pixels);
    return Status::Ok();
  });
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->tiles_total, 8 * 6);  // 1024 x 768 at 1 um/px
  EXPECT_EQ(summary->tiles_kept, 48);
  ThreadPool pool(3);
  size_t index = 0;
  summary = for_each_tile(
      *slide, options,
      [&](const Tile& tile) {
        EXPECT_EQ(tile.image.pixels, one_thread[index++]);
        return Status::Ok();
      },
      false, &pool);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(index, one_thread.size());
  // A callback error stops the walk and comes back.
  int calls = 0;
  summary = for_each_tile(
      *slide, options, [&](const Tile&) { return ++calls == 5 ? io_error("stop") : Status::Ok(); }, false, &pool);
  EXPECT_FALSE(summary.ok());
  EXPECT_EQ(calls, 5);
}

TEST(Tiler, TileMatchesADirectRegionReadShrunk) {
  const auto slide = open_synthetic();
  TilingOptions options;
  options.microns_per_pixel = 0.5;  // exactly level 1: no resampling
  options.tile_size = 64;
  auto grid = plan_tile_grid(*slide, options);
  ASSERT_TRUE(grid.ok());
  const TileRect rect = tile_rect(*grid, 10, 7);
  EXPECT_EQ(rect.x, 10 * 64 * 2);
  EXPECT_EQ(rect.width, 128);
  auto tile = read_tile(*slide, *grid, rect);
  auto direct = slide->read_region(1, rect.x, rect.y, 64, 64);
  ASSERT_TRUE(tile.ok() && direct.ok());
  EXPECT_EQ(tile->pixels, direct->pixels);
}

TEST(Tiler, PlainImageWithoutMppTilesAtLevel0) {
  const std::string dir = testing::make_temp_dir("plain_tiles");
  cv::Mat image(500, 700, CV_8UC3, cv::Scalar(200, 150, 220));
  ASSERT_TRUE(cv::imwrite(dir + "/field.png", image));
  auto slide = open_slide(dir + "/field.png");
  ASSERT_TRUE(slide.ok());
  TilingOptions options;
  options.microns_per_pixel = 0.5;  // cannot be honoured: no mpp
  options.tile_size = 100;
  auto grid = plan_tile_grid(**slide, options);
  ASSERT_TRUE(grid.ok());
  EXPECT_FALSE(grid->mpp_known);
  EXPECT_EQ(grid->downsample, 1.0);
  EXPECT_EQ(grid->cols, 7);
  EXPECT_EQ(grid->rows, 5);
  expect_exact_cover(**slide, options, 700, 500);
}

TEST(Tiler, RejectsBadOptions) {
  const auto slide = open_synthetic();
  TilingOptions options;
  options.tile_size = 0;
  EXPECT_EQ(plan_tile_grid(*slide, options).status().code(), StatusCode::kInvalidArgument);
  options.tile_size = 10;
  options.microns_per_pixel = -1;
  EXPECT_FALSE(plan_tile_grid(*slide, options).ok());
}

}  // namespace
}  // namespace gramlite::data::wsi
