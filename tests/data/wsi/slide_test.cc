#include "gramlite/data/wsi/slide.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_slides.h"

namespace gramlite::data::wsi {
namespace {

namespace fs = std::filesystem;

TEST(OpenSlide, ReadsTheSyntheticPyramid) {
  auto slide = open_slide(testing::synthetic_slide_path());
  ASSERT_TRUE(slide.ok()) << slide.status().message();
  const Slide& s = **slide;
  EXPECT_EQ(s.info().vendor, "aperio");
  ASSERT_EQ(s.level_count(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(s.level(i).width, 4096 >> i);
    EXPECT_EQ(s.level(i).height, 3072 >> i);
    EXPECT_NEAR(s.level(i).downsample, 1 << i, 1e-9);
  }
  ASSERT_TRUE(s.has_mpp());
  EXPECT_NEAR(s.info().mpp_x, 0.25, 1e-4);
  EXPECT_NEAR(s.microns_per_pixel(), 0.25, 1e-4);
  EXPECT_EQ(s.info().properties.at("tiff.ResolutionUnit"), "centimeter");

  // Level 2 at the same level-0 origin shows the same place, 4x smaller.
  auto centre = s.read_region(2, 2048, 1536, 16, 16);
  ASSERT_TRUE(centre.ok()) << centre.status().message();
  EXPECT_EQ(centre->width, 16);
  EXPECT_EQ(centre->pixels.size(), 16u * 16 * 3);
  // Outside the slide: white (OpenSlide's transparent pixels composited over white).
  auto outside = s.read_region(0, 4090, 3070, 20, 10);
  ASSERT_TRUE(outside.ok());
  const auto& px = outside->pixels;
  EXPECT_EQ(px[(9 * 20 + 19) * 3], 255);
  EXPECT_EQ(px[(9 * 20 + 19) * 3 + 1], 255);
  EXPECT_EQ(px[(9 * 20 + 19) * 3 + 2], 255);
  EXPECT_FALSE(s.read_region(4, 0, 0, 8, 8).ok());
  EXPECT_FALSE(s.read_region(0, 0, 0, 0, 8).ok());
}

TEST(ImageSlide, PngAndJpegAreOneLevelSlides) {
  const std::string dir = testing::make_temp_dir("plain");
  cv::Mat bgr(300, 500, CV_8UC3, cv::Scalar(10, 20, 30));
  bgr(cv::Rect(100, 50, 50, 40)).setTo(cv::Scalar(200, 100, 0));
  for (const std::string name : {"field.png", "field.jpg"}) {
    const std::string path = dir + "/" + name;
    ASSERT_TRUE(cv::imwrite(path, bgr));
    auto slide = open_slide(path);
    ASSERT_TRUE(slide.ok()) << slide.status().message();
    EXPECT_EQ((*slide)->info().vendor, "image");
    ASSERT_EQ((*slide)->level_count(), 1);
    EXPECT_EQ((*slide)->level(0).width, 500);
    EXPECT_EQ((*slide)->level(0).height, 300);
    EXPECT_FALSE((*slide)->has_mpp());
    auto region = (*slide)->read_region(0, 110, 60, 4, 4);
    ASSERT_TRUE(region.ok());
    EXPECT_NEAR(region->pixels[0], 0, 3);    // R
    EXPECT_NEAR(region->pixels[2], 200, 3);  // B
    auto edge = (*slide)->read_region(0, -2, 0, 4, 1);
    ASSERT_TRUE(edge.ok());
    EXPECT_EQ(edge->pixels[0], 255);        // outside: white
    EXPECT_NEAR(edge->pixels[6], 30, 3);    // inside: R = 30
  }
}

TEST(StripTiffSlide, UntiledTiffIsReadStripByStripWithItsResolution) {
  const std::string dir = testing::make_temp_dir("strips");
  cv::Mat bgr(701, 523, CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, (x + y) % 256);
  }
  const std::string path = dir + "/strips.tif";
  // OpenCV writes strip TIFFs; LZW keeps it lossless. 300 dpi -> 84.67 um/px.
  ASSERT_TRUE(cv::imwrite(path, bgr, {cv::IMWRITE_TIFF_COMPRESSION, 5, cv::IMWRITE_TIFF_RESUNIT, 2,
                                      cv::IMWRITE_TIFF_XDPI, 300, cv::IMWRITE_TIFF_YDPI, 300}));
  auto slide = open_slide(path);
  ASSERT_TRUE(slide.ok()) << slide.status().message();
  EXPECT_EQ((*slide)->info().vendor, "tiff-strips");
  ASSERT_EQ((*slide)->level_count(), 1);
  EXPECT_EQ((*slide)->level(0).width, 523);
  EXPECT_EQ((*slide)->level(0).height, 701);
  EXPECT_NEAR((*slide)->microns_per_pixel(), 25400.0 / 300, 1e-3);
  auto region = (*slide)->read_region(0, 500, 690, 30, 20);  // crosses strips and the edges
  ASSERT_TRUE(region.ok()) << region.status().message();
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 30; ++x) {
      const uint8_t* p = &region->pixels[(y * 30 + x) * 3];
      const int sx = 500 + x, sy = 690 + y;
      if (sx >= 523 || sy >= 701) {
        EXPECT_EQ(p[0] + p[1] + p[2], 3 * 255);
      } else {
        ASSERT_EQ(p[0], (sx + sy) % 256) << sx << "," << sy;  // R
        ASSERT_EQ(p[1], sy % 256);
        ASSERT_EQ(p[2], sx % 256);  // B
      }
    }
  }
}

void expect_error_names_file(const std::string& path, StatusCode code) {
  auto slide = open_slide(path);
  Status status = slide.ok() ? Status::Ok() : slide.status();
  if (slide.ok()) {  // some damage only shows when pixels are read
    auto region = (*slide)->read_region(0, 0, 0, (*slide)->level(0).width > 512 ? 512 : 16, 16);
    ASSERT_FALSE(region.ok()) << path << " opened and read without error";
    status = region.status();
  }
  EXPECT_EQ(status.code(), code) << status.message();
  EXPECT_NE(status.message().find(path), std::string::npos) << status.message();
}

TEST(OpenSlideErrors, MissingTextAndTruncatedFilesNameTheFile) {
  const std::string dir = testing::make_temp_dir("errors");
  expect_error_names_file(dir + "/nowhere.svs", StatusCode::kNotFound);

  const std::string text = dir + "/notes.svs";
  std::ofstream(text) << "this is not a slide\n";
  expect_error_names_file(text, StatusCode::kUnsupported);

  // The first 40 % of a valid pyramid: its directories (written at the end) are gone.
  const std::string truncated = dir + "/truncated.tiff";
  {
    std::ifstream in(testing::synthetic_slide_path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 2 / 5));
  }
  expect_error_names_file(truncated, StatusCode::kCorruptData);

  // Only the tail is missing: level 0 is intact but the last level's directory is cut. OpenSlide
  // rejects it, and it must not then pass as a plain one-level image (decoded whole through
  // OpenCV, its resolution and pyramid silently lost).
  const std::string tail_cut = dir + "/tail_cut.tiff";
  {
    std::ifstream in(testing::synthetic_slide_path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(tail_cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 2000));
  }
  expect_error_names_file(tail_cut, StatusCode::kCorruptData);

  // Valid directories, but the first tiles' bytes are overwritten: the error shows on reading.
  const std::string damaged = dir + "/damaged.tiff";
  {
    std::ifstream in(testing::synthetic_slide_path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fill(bytes.begin() + 8, bytes.begin() + 60000, '\0');
    std::ofstream(damaged, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  expect_error_names_file(damaged, StatusCode::kCorruptData);

  // Garbage after a valid TIFF header.
  const std::string garbage = dir + "/garbage.svs";
  std::ofstream(garbage, std::ios::binary) << std::string("II*\0\x08\0\0\0", 8) << std::string(4000, '\x7f');
  auto slide = open_slide(garbage);
  ASSERT_FALSE(slide.ok());
  EXPECT_NE(slide.status().message().find(garbage), std::string::npos) << slide.status().message();
}

}  // namespace
}  // namespace gramlite::data::wsi
