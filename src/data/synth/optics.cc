#include "data/synth/optics.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "data/synth/synth_random.h"

namespace gramlite::data::synth::internal {

int blur_radius(float sigma_px) { return sigma_px <= 0.05f ? 0 : static_cast<int>(std::ceil(3.0f * sigma_px)); }

std::vector<float> gaussian_blur_valid(const std::vector<float>& rgb, int width, int height, float sigma_px,
                                       int radius) {
  if (radius == 0) return rgb;
  std::vector<float> kernel(2 * radius + 1);
  float sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += kernel[i + radius] = std::exp(-0.5f * i * i / (sigma_px * sigma_px));
  for (float& k : kernel) k /= sum;
  const int out_w = width - 2 * radius, out_h = height - 2 * radius;
  // Horizontal pass over every row, then vertical pass.
  std::vector<float> horizontal(static_cast<size_t>(out_w) * height * 3);
  for (int y = 0; y < height; ++y) {
    const float* src = &rgb[static_cast<size_t>(y) * width * 3];
    float* dst = &horizontal[static_cast<size_t>(y) * out_w * 3];
    for (int x = 0; x < out_w; ++x) {
      float r = 0, g = 0, b = 0;
      for (int t = 0; t <= 2 * radius; ++t) {
        const float* p = src + (x + t) * 3;
        r += kernel[t] * p[0];
        g += kernel[t] * p[1];
        b += kernel[t] * p[2];
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }
  std::vector<float> out(static_cast<size_t>(out_w) * out_h * 3, 0.0f);
  const size_t row = static_cast<size_t>(out_w) * 3;
  for (int y = 0; y < out_h; ++y) {
    float* dst = &out[y * row];
    for (int t = 0; t <= 2 * radius; ++t) {
      const float* src = &horizontal[(y + t) * row];
      const float k = kernel[t];
      for (size_t i = 0; i < row; ++i) dst[i] += k * src[i];
    }
  }
  return out;
}

std::vector<uint8_t> expose(const std::vector<float>& rgb, int64_t x0, int64_t y0, int width, int height,
                            const CameraModel& camera) {
  std::vector<uint8_t> out(static_cast<size_t>(width) * height * 3);
  const double half = static_cast<double>(camera.frame_px) / 2;
  for (int j = 0; j < height; ++j) {
    const int64_t gy = y0 + j;
    const int64_t fy = ((gy % camera.frame_px) + camera.frame_px) % camera.frame_px;
    const double dy = (static_cast<double>(fy) + 0.5 - half) / half;
    for (int i = 0; i < width; ++i) {
      const int64_t gx = x0 + i;
      const int64_t fx = ((gx % camera.frame_px) + camera.frame_px) % camera.frame_px;
      const double dx = (static_cast<double>(fx) + 0.5 - half) / half;
      // cos^4-like fall-off approximated by a quadratic in the squared radius (corner = 1).
      const float light = 1.0f - camera.vignetting * static_cast<float>((dx * dx + dy * dy) / 2);
      // Two hashes per pixel give 128 bits: four 10-bit uniforms per channel, summed (Irwin-Hall(4),
      // variance 1/3, scaled to 1) is a close, cheap Gaussian.
      const uint64_t h0 = hash_of(camera.noise_seed, static_cast<uint64_t>(gx), static_cast<uint64_t>(gy));
      const uint64_t h1 = mix64(h0);
      const uint64_t bits[3] = {h0, h0 >> 40 | h1 << 24, h1 >> 16};
      for (int c = 0; c < 3; ++c) {
        const size_t k = (static_cast<size_t>(j) * width + i) * 3 + c;
        const float signal = rgb[k] * light;
        float value = signal;
        if (camera.noise > 0) {
          const uint64_t b = bits[c];
          const float s = static_cast<float>(b & 0x3FF) + static_cast<float>((b >> 10) & 0x3FF) +
                          static_cast<float>((b >> 20) & 0x3FF) + static_cast<float>((b >> 30) & 0x3FF);
          const float gaussian = (s / 1024.0f - 2.0f) * 1.7320508f;
          // Shot noise grows with the signal, read noise does not.
          value += camera.noise * std::sqrt(0.25f + 0.75f * std::max(signal, 0.0f)) * gaussian;
        }
        out[k] = static_cast<uint8_t>(std::clamp(value * 255.0f, 0.0f, 255.0f) + 0.5f);
      }
    }
  }
  return out;
}

Status jpeg_round_trip(std::vector<uint8_t>& rgb, int width, int height, int quality) {
  try {
    cv::Mat image(height, width, CV_8UC3, rgb.data());
    cv::Mat bgr;
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    std::vector<uint8_t> encoded;
    if (!cv::imencode(".jpg", bgr, encoded, {cv::IMWRITE_JPEG_QUALITY, quality})) {
      return internal_error("synthetic field: JPEG encoding failed");
    }
    const cv::Mat decoded = cv::imdecode(encoded, cv::IMREAD_COLOR);
    if (decoded.empty() || decoded.cols != width || decoded.rows != height) {
      return internal_error("synthetic field: JPEG decoding failed");
    }
    cv::Mat back(height, width, CV_8UC3, rgb.data());
    cv::cvtColor(decoded, back, cv::COLOR_BGR2RGB);
  } catch (const cv::Exception& e) {
    return internal_error("synthetic field: OpenCV failed in the JPEG round trip: ", e.what());
  }
  return Status::Ok();
}

}  // namespace gramlite::data::synth::internal
