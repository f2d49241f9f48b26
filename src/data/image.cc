#include "gramlite/data/image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <opencv2/core/utils/logger.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>

#include "base/input_file.h"
#include "base/one_line.h"
#include "data/image_header.h"
#include "data/quiet_decoders.h"

namespace gramlite::data {
namespace {

// 100000000 -> "100,000,000": limits are easier to read with separators.
std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

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

// OpenCV's own warnings ("[ WARN:0@0.03] ... TIFFReadRGBAStrip failed") would add lines to a
// one-line error; read_rgb_image reports every failure itself. Process-wide, set once: a program
// that wants OpenCV's log back sets the level after its first image.
void quiet_opencv_once() {
  static std::once_flag once;
  std::call_once(once, [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); });
}

// No format stores a pixel in more than 16 bytes (float32 RGBA), so a larger file is not an image
// within the bound; refusing it avoids reading gigabytes to find out.
size_t max_encoded_bytes(int64_t max_pixels) {
  constexpr int64_t kSlack = int64_t{16} << 20;
  if (max_pixels <= 0) return static_cast<size_t>(kSlack);
  if (max_pixels > (std::numeric_limits<int64_t>::max() - kSlack) / 16) return SIZE_MAX;
  return static_cast<size_t>(max_pixels * 16 + kSlack);
}

Status too_large(const std::string& path, int64_t width, int64_t height, int64_t max_pixels,
                 const std::string& where) {
  return unsupported("image '", path, "' declares ", width, "x", height, " pixels", where, ", more than the limit of ",
                     with_thousands(max_pixels), " pixels");
}

}  // namespace

Result<RgbImage> read_rgb_image(const std::string& path, int64_t max_pixels) {
  if (max_pixels < 1) return invalid_argument("the image size limit must be at least 1 pixel, got ", max_pixels);
  quiet_opencv_once();
  // One read of the bytes (FIFOs, directories and devices refused without blocking), then the
  // header's declared size against the bound, then decoding from memory: nothing is decoded
  // before the size is known, and no other process can swap the file in between.
  const size_t max_file_bytes = max_encoded_bytes(max_pixels);
  GRAMLITE_ASSIGN_OR_RETURN(const Buffer bytes, read_regular_file(path, max_file_bytes));
  if (const auto declared = read_declared_image_size(bytes.data(), bytes.size())) {
    if (declared->width > 0 && declared->height > 0 && declared->width > max_pixels / declared->height) {
      return too_large(path, declared->width, declared->height, max_pixels, str_cat(" (", declared->format, " header)"));
    }
  }
  if (bytes.empty()) return corrupt_data("cannot decode image '", path, "': the file is empty");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return unsupported("image '", path, "' is larger than 2 GiB, more than the decoders take");
  }
  cv::Mat decoded;
  try {
    // PNG and JPEG through decoders that keep libpng's and libjpeg's messages off stderr; the
    // rest through OpenCV.
    const bool png = looks_like_png(bytes.data(), bytes.size());
    if (png || looks_like_jpeg(bytes.data(), bytes.size())) {
      Result<cv::Mat> quiet = png ? decode_png_quietly(bytes.data(), bytes.size())
                                  : decode_jpeg_quietly(bytes.data(), bytes.size());
      if (!quiet.ok()) return quiet.status().with_context(str_cat("cannot decode image '", path, "'"));
      decoded = std::move(quiet).value();
    } else {
      Status preflight = looks_like_tiff(bytes.data(), bytes.size()) ? preflight_tiff(bytes.data(), bytes.size())
                                                                     : preflight_bmp(bytes.data(), bytes.size());
      if (!preflight.ok()) return preflight.with_context(str_cat("cannot decode image '", path, "'"));
      const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8U,
                            const_cast<uint8_t*>(bytes.data()));
      decoded = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
    }
  } catch (const cv::Exception& e) {
    return corrupt_data("cannot decode image '", path, "': ", one_line(e.what()));
  }
  if (decoded.empty()) return corrupt_data("cannot decode image '", path, "' (unknown format or corrupt data)");
  // Formats whose header is not read above (EXR, HDR, Sun raster, ...) are bounded here, after
  // decoding (OpenCV's own limit, 2^30 pixels, bounds their peak).
  if (decoded.cols > max_pixels / std::max(decoded.rows, 1)) {
    return too_large(path, decoded.cols, decoded.rows, max_pixels, "");
  }
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
                          one_line(e.what()));
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
