// Helpers for the dataset tests: a temporary folder per test and images written into it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "gramlite/data/image.h"

namespace gramlite::data::testing {

namespace fs = std::filesystem;

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("gramlite_dataset_") + info->test_suite_name() + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `image` (any OpenCV type) to dir_/relative, creating folders.
  std::string write(const std::string& relative, const cv::Mat& image) {
    const fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    EXPECT_TRUE(cv::imwrite(p.string(), image)) << p;
    return p.string();
  }
  std::string write_text(const std::string& relative, const std::string& text) {
    const fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  // A small BGR image filled with `value` (distinct per sample so tests can recognise it).
  std::string write_solid(const std::string& relative, int value, int size = 8) {
    return write(relative, cv::Mat(size, size, CV_8UC3, cv::Scalar(value, value, value)));
  }
  std::string root() const { return dir_.string(); }
  fs::path dir_;
};

// Noise with a fixed seed, so failures reproduce.
inline RgbImage random_image(int width, int height, uint64_t seed = 1) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  cv::Mat view(height, width, CV_8UC3, image.pixels.data());
  cv::RNG rng(seed);
  rng.fill(view, cv::RNG::UNIFORM, 0, 256);
  return image;
}

}  // namespace gramlite::data::testing
