// Calibration images: a seeded sample of a dataset folder, preprocessed as the model wants.
#include "gramlite/classify/calibration_images.h"

#include <gtest/gtest.h>

#include "test_models.h"

namespace gramlite::classify {
namespace {

using testing::small_model;
using testing::write_random_png;

class CalibrationImagesTest : public testing::TempDirTest {
 protected:
  void write_flat(int per_class) {
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < per_class; ++i) write_random_png(path("flat/c" + std::to_string(c) + "/" + std::to_string(i) + ".png"), 30 + i, 20, 10 * c + i);
    }
  }
  // Each image's first value identifies it: the sample is a set of distinct images.
  static std::vector<float> fingerprints(const compress::CalibrationSet& set) {
    std::vector<float> prints;
    const auto per_image = static_cast<size_t>(ir::element_count(set.image_shape));
    for (const auto& batch : set.batches) {
      for (size_t i = 0; i < batch.size(); i += per_image) prints.push_back(batch[i] + batch[i + 7] * 3.0f);
    }
    return prints;
  }
};

TEST_F(CalibrationImagesTest, ReadsUpToCountInBatchesAtTheModelsSize) {
  write_flat(5);
  const auto model = small_model();
  CalibrationImageOptions options;
  options.count = 7;
  options.batch = 3;
  std::vector<int64_t> progress;
  options.progress = [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, 7);
    progress.push_back(done);
  };
  auto set = load_calibration_images(*model, "model", path("flat"), options);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->image_shape, (ir::Shape{3, 64, 64}));
  EXPECT_EQ(set->image_count(), 7);
  ASSERT_EQ(set->batches.size(), 3u);
  EXPECT_EQ(set->batches[2].size(), 3u * 64 * 64);
  EXPECT_EQ(progress, (std::vector<int64_t>{3, 6, 7}));

  // The same seed picks the same images; another seed, others; more than there are: all 10.
  options.progress = nullptr;
  auto again = load_calibration_images(*model, "model", path("flat"), options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fingerprints(*set), fingerprints(*again));
  options.seed = 99;
  auto other = load_calibration_images(*model, "model", path("flat"), options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(fingerprints(*set), fingerprints(*other));
  options.count = 300;
  auto all = load_calibration_images(*model, "model", path("flat"), options);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->image_count(), 10);
}

TEST_F(CalibrationImagesTest, SplitFolderUsesTrainAndErrorsNameTheFolder) {
  for (const char* split : {"train", "val"}) {
    for (int i = 0; i < (std::string(split) == "train" ? 4 : 2); ++i) {
      write_random_png(path(std::string("split/") + split + "/a/" + std::to_string(i) + ".png"), 24, 24, i);
    }
  }
  const auto model = small_model();
  auto set = load_calibration_images(*model, "model", path("split"), {});
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->image_count(), 4);
  CalibrationImageOptions val;
  val.split = "val";
  auto val_set = load_calibration_images(*model, "model", path("split"), val);
  ASSERT_TRUE(val_set.ok());
  EXPECT_EQ(val_set->image_count(), 2);

  auto missing = load_calibration_images(*model, "model", path("nothing_here"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nothing_here"), std::string::npos);
  CalibrationImageOptions zero;
  zero.count = 0;
  EXPECT_EQ(load_calibration_images(*model, "model", path("split"), zero).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gramlite::classify
