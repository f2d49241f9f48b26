#include "data/image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>

namespace gramlite::data {
namespace {

// Converts any depth to 8-bit, scaling 16-bit and float data to the 8-bit range.
cv::Mat to_8bit(const cv::Mat& image) {
  if (image.depth() == CV_8U) return image;
  cv::Mat out;
  switch (image.depth()) {
    case CV_16U: image.convertTo(out, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: image.convertTo(out, CV_8U, 255.0); break;
    default: image.convertTo(out, CV_8U); break;
  }
  return out;
}

cv::Mat composite_over_white(const cv::Mat& bgra) {
  cv::Mat out(bgra.rows, bgra.cols, CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    const auto* src = bgra.ptr<cv::Vec4b>(y);
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgra.cols; ++x) {
      const int alpha = src[x][3];
      for (int c = 0; c < 3; ++c) dst[x][c] = static_cast<uint8_t>((src[x][c] * alpha + 255 * (255 - alpha) + 127) / 255);
    }
  }
  return out;
}

}  // namespace

Result<RgbImage> read_rgb_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("image '", path, "' does not exist or is not a file");
  cv::Mat decoded;
  try {
    decoded = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return corrupt_data("cannot decode image '", path, "': ", e.what());
  }
  if (decoded.empty()) return corrupt_data("cannot decode image '", path, "' (unknown format or corrupt data)");
  cv::Mat bgr;
  const cv::Mat image = to_8bit(decoded);
  switch (image.channels()) {
    case 1: cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR); break;
    case 2: {
      cv::Mat planes[2];
      cv::split(image, planes);
      cv::Mat grey_alpha[4] = {planes[0], planes[0], planes[0], planes[1]};
      cv::Mat bgra;
      cv::merge(grey_alpha, 4, bgra);
      bgr = composite_over_white(bgra);
      break;
    }
    case 3: bgr = image; break;
    case 4: bgr = composite_over_white(image); break;
    default: return unsupported("image '", path, "' has ", image.channels(), " channels");
  }
  RgbImage rgb;
  rgb.width = bgr.cols;
  rgb.height = bgr.rows;
  rgb.pixels.resize(static_cast<size_t>(rgb.width) * rgb.height * 3);
  cv::Mat wrapped(rgb.height, rgb.width, CV_8UC3, rgb.pixels.data());
  cv::cvtColor(bgr, wrapped, cv::COLOR_BGR2RGB);
  return rgb;
}

Status check_rgb_image(const RgbImage& image) {
  if (image.width < 1 || image.height < 1 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return invalid_argument("image is empty or its pixel buffer does not match its size (", image.width, "x",
                            image.height, ", ", image.pixels.size(), " bytes)");
  }
  return Status::Ok();
}

Result<RgbImage> resize_for_model(const RgbImage& image, ir::ResizeMode mode, int width, int height) {
  GRAMLITE_RETURN_IF_ERROR(check_rgb_image(image));
  if (width < 1 || height < 1) return invalid_argument("target size must be positive");
  const auto resize_into = [](const cv::Mat& src, cv::Mat& dst, int w, int h) {
    const bool shrinking = w < src.cols || h < src.rows;
    cv::resize(src, dst, cv::Size(w, h), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  };
  try {
    const cv::Mat source(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
    RgbImage out;
    out.width = width;
    out.height = height;
    out.pixels.resize(static_cast<size_t>(width) * height * 3);
    cv::Mat target(height, width, CV_8UC3, out.pixels.data());
    if (mode == ir::ResizeMode::kShorterSideCrop) {
      // ImageNet evaluation: shorter side to size * 256 / 224, then the centre crop.
      const double target_short = std::round(std::min(width, height) * 256.0 / 224.0);
      const double scale = target_short / std::min(image.width, image.height);
      const int w = std::max(width, static_cast<int>(std::lround(image.width * scale)));
      const int h = std::max(height, static_cast<int>(std::lround(image.height * scale)));
      cv::Mat scaled;
      resize_into(source, scaled, w, h);
      scaled(cv::Rect((w - width) / 2, (h - height) / 2, width, height)).copyTo(target);
    } else {
      cv::Mat resized;
      resize_into(source, resized, width, height);
      resized.copyTo(target);
    }
    return out;
  } catch (const cv::Exception& e) {
    return internal_error("resizing a ", image.width, "x", image.height, " image to ", width, "x", height, ": ",
                          e.what());
  }
}

Status normalize_to_tensor(const RgbImage& resized, const ir::Preprocessing& preprocessing, float* out) {
  GRAMLITE_RETURN_IF_ERROR(check_rgb_image(resized));
  if (preprocessing.mean.size() != 3 || preprocessing.std.size() != 3) {
    return invalid_argument("preprocessing needs 3 mean and 3 std values");
  }
  const size_t plane = static_cast<size_t>(resized.width) * resized.height;
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const int source_channel = preprocessing.bgr ? 2 - c : c;
      const float value = resized.pixels[i * 3 + static_cast<size_t>(source_channel)] / 255.0f;
      out[static_cast<size_t>(c) * plane + i] = (value - preprocessing.mean[static_cast<size_t>(c)]) /
                                                preprocessing.std[static_cast<size_t>(c)];
    }
  }
  return Status::Ok();
}

Status image_to_tensor(const RgbImage& image, const ir::Preprocessing& preprocessing, int width, int height,
                       float* out) {
  GRAMLITE_ASSIGN_OR_RETURN(RgbImage resized, resize_for_model(image, preprocessing.resize, width, height));
  return normalize_to_tensor(resized, preprocessing, out);
}

}  // namespace gramlite::data
