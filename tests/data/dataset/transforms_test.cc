#include "gramlite/data/dataset/transforms.h"

#include <cmath>

#include "gramlite/data/dataset/resize.h"
#include "test_images.h"

namespace gramlite::data {
namespace {

using testing::random_image;
using TransformsTest = testing::TempDirTest;

ModelInput input_of(int width, int height, ir::ResizeMode mode = ir::ResizeMode::kStretch) {
  ModelInput input;
  input.width = width;
  input.height = height;
  input.preprocessing.resize = mode;
  return input;
}

Status load(const std::string& path, const ModelInput& input, std::vector<float>& out) {
  out.assign(input.tensor_size(), NAN);
  SampleRng rng(0);
  return load_model_tensor(path, input, AugmentationOptions::none(), rng, out.data());
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

TEST_F(TransformsTest, AnyChannelCountDepthAndOddSizeGivesTheModelShape) {
  const ModelInput input = input_of(224, 224, ir::ResizeMode::kShorterSideCrop);
  std::vector<std::string> files = {
      write("grey.png", cv::Mat(37, 53, CV_8UC1, cv::Scalar(90))),
      write("rgba.png", cv::Mat(301, 199, CV_8UC4, cv::Scalar(10, 20, 30, 128))),
      write("deep.png", cv::Mat(17, 13, CV_16UC3, cv::Scalar(65535, 0, 30000))),
      write("grey16.tiff", cv::Mat(225, 223, CV_16UC1, cv::Scalar(1000))),
      write("odd.jpg", cv::Mat(1, 999, CV_8UC3, cv::Scalar(1, 2, 3))),
      write("odd.bmp", cv::Mat(999, 3, CV_8UC3, cv::Scalar(200, 100, 50))),
  };
  for (const auto& file : files) {
    std::vector<float> out;
    const Status status = load(file, input, out);
    ASSERT_TRUE(status.ok()) << file << ": " << status.message();
    EXPECT_EQ(out.size(), 3u * 224 * 224);
    EXPECT_TRUE(all_finite(out)) << file;
  }
  // 16-bit BGR (65535, 0, 30000) -> 8-bit RGB (117, 0, 255): the red plane is the brightest.
  std::vector<float> out;
  ASSERT_TRUE(load(files[2], input_of(4, 4), out).ok());
  const ir::Preprocessing p;
  EXPECT_NEAR(out[0], (117 / 255.0f - p.mean[0]) / p.std[0], 1e-5);
  EXPECT_NEAR(out[2 * 16], (255 / 255.0f - p.mean[2]) / p.std[2], 1e-5);
}

TEST_F(TransformsTest, NormalisationValuesAreExact) {
  // BGR (64, 128, 255) is RGB (255, 128, 64).
  const std::string file = write("solid.png", cv::Mat(10, 10, CV_8UC3, cv::Scalar(64, 128, 255)));
  ModelInput input = input_of(5, 5);
  input.preprocessing.mean = {0.5f, 0.25f, 0.125f};
  input.preprocessing.std = {0.5f, 0.25f, 2.0f};
  std::vector<float> out;
  ASSERT_TRUE(load(file, input, out).ok());
  const float rgb[3] = {255, 128, 64};
  for (int c = 0; c < 3; ++c) {
    const float expected = (rgb[c] / 255.0f - input.preprocessing.mean[c]) / input.preprocessing.std[c];
    for (int i = 0; i < 25; ++i) ASSERT_FLOAT_EQ(out[c * 25 + i], expected) << "channel " << c;
  }
  input.preprocessing.bgr = true;  // the blue value comes first
  ASSERT_TRUE(load(file, input, out).ok());
  EXPECT_FLOAT_EQ(out[0], (64 / 255.0f - 0.5f) / 0.5f);
}

TEST_F(TransformsTest, ResizeThenNormaliseEqualsImageToTensorInBothModes) {
  const RgbImage image = random_image(131, 97, 3);
  for (const auto mode : {ir::ResizeMode::kStretch, ir::ResizeMode::kShorterSideCrop}) {
    for (const auto& [w, h] : std::vector<std::pair<int, int>>{{64, 64}, {224, 224}, {40, 30}}) {
      const ModelInput input = input_of(w, h, mode);
      std::vector<float> direct(input.tensor_size()), split(input.tensor_size());
      ASSERT_TRUE(image_to_tensor(image, input.preprocessing, w, h, direct.data()).ok());
      auto resized = resize_for_model(image, mode, w, h);
      ASSERT_TRUE(resized.ok()) << resized.status().message();
      ASSERT_TRUE(normalize_resized_image(*resized, input, split.data()).ok());
      ASSERT_EQ(direct, split) << "mode " << static_cast<int>(mode) << " " << w << "x" << h;
    }
  }
}

TEST_F(TransformsTest, UnreadableFilesAreErrorsNamingTheFile) {
  std::vector<float> out;
  const std::string text = write_text("fake.png", "this is not a png");
  Status status = load(text, input_of(8, 8), out);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("fake.png"), std::string::npos);
  EXPECT_FALSE(load(root() + "/missing.png", input_of(8, 8), out).ok());
}

TEST_F(TransformsTest, WrongSizedImageIsRejectedByNormalize) {
  std::vector<float> out(3 * 8 * 8);
  EXPECT_FALSE(normalize_resized_image(random_image(9, 8), input_of(8, 8), out.data()).ok());
  ModelInput bad = input_of(8, 8);
  bad.preprocessing.std = {1.0f, 0.0f, 1.0f};
  EXPECT_FALSE(bad.validate().ok());
}

}  // namespace
}  // namespace gramlite::data
