// Private to src/data/dataset: cv::Mat views of RgbImage buffers. Never included by a public
// header, so callers do not compile against OpenCV.
#pragma once

#include <opencv2/core.hpp>

#include "gramlite/data/image.h"

namespace gramlite::data::internal {

// A CV_8UC3 header over the image's pixels (RGB order; no copy). The image must outlive it.
inline cv::Mat mat_view(const RgbImage& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
}

// Copies a CV_8UC3 matrix into a new RgbImage.
inline RgbImage from_mat(const cv::Mat& mat) {
  RgbImage out;
  out.width = mat.cols;
  out.height = mat.rows;
  out.pixels.resize(static_cast<size_t>(mat.cols) * mat.rows * 3);
  mat.copyTo(mat_view(out));
  return out;
}

// A blank image of the given size whose buffer a cv::Mat can write into.
inline RgbImage make_image(int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  return out;
}

}  // namespace gramlite::data::internal
