#include "data/image.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace gramlite::data {
namespace {

namespace fs = std::filesystem;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gramlite_image_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ImageTest, ReadsGreyRgbaAnd16BitAsRgb) {
  cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // B=10 G=20 R=30
  ASSERT_TRUE(cv::imwrite(path("bgr.png"), bgr));
  auto rgb = read_rgb_image(path("bgr.png"));
  ASSERT_TRUE(rgb.ok()) << rgb.status().message();
  EXPECT_EQ(rgb->width, 6);
  EXPECT_EQ(rgb->height, 4);
  EXPECT_EQ(rgb->pixels[0], 30);
  EXPECT_EQ(rgb->pixels[2], 10);

  cv::Mat grey(3, 3, CV_8UC1, cv::Scalar(77));
  ASSERT_TRUE(cv::imwrite(path("grey.png"), grey));
  rgb = read_rgb_image(path("grey.png"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 77);
  EXPECT_EQ(rgb->pixels[1], 77);

  cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent -> white
  ASSERT_TRUE(cv::imwrite(path("bgra.png"), bgra));
  rgb = read_rgb_image(path("bgra.png"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 255);

  cv::Mat deep(2, 2, CV_16UC3, cv::Scalar(65535, 0, 257 * 100));
  ASSERT_TRUE(cv::imwrite(path("deep.tiff"), deep));
  rgb = read_rgb_image(path("deep.tiff"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 100);
  EXPECT_EQ(rgb->pixels[2], 255);
}

TEST_F(ImageTest, CorruptAndMissingFilesGiveErrorsNamingTheFile) {
  auto missing = read_rgb_image(path("nope.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);
  std::ofstream(path("bad.jpg")) << "this is not a jpeg";
  auto bad = read_rgb_image(path("bad.jpg"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot decode image"), std::string::npos);
  // A PNG cut in half.
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  std::vector<uchar> bytes;
  cv::imencode(".png", noise, bytes);
  std::ofstream(path("cut.png"), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                        static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_FALSE(read_rgb_image(path("cut.png")).ok());
}

TEST_F(ImageTest, TensorIsPlanarAndNormalised) {
  RgbImage image;
  image.width = image.height = 2;
  image.pixels = {255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0};  // red
  ir::Preprocessing p;
  p.mean = {0.5f, 0.5f, 0.5f};
  p.std = {0.5f, 0.5f, 0.5f};
  std::vector<float> out(3 * 4 * 4);
  ASSERT_TRUE(image_to_tensor(image, p, 4, 4, out.data()).ok());
  EXPECT_FLOAT_EQ(out[0], 1.0f);        // R plane
  EXPECT_FLOAT_EQ(out[16], -1.0f);      // G plane
  p.bgr = true;
  ASSERT_TRUE(image_to_tensor(image, p, 4, 4, out.data()).ok());
  EXPECT_FLOAT_EQ(out[0], -1.0f);  // first plane is now blue
  EXPECT_FLOAT_EQ(out[32], 1.0f);
  p.resize = ir::ResizeMode::kShorterSideCrop;
  EXPECT_TRUE(image_to_tensor(image, p, 3, 3, out.data()).ok());
}

}  // namespace
}  // namespace gramlite::data
