#include "gramlite/data/dataset/augmentation.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "data/dataset/opencv_view.h"

namespace gramlite::data {
namespace {

Status check_probability(double p, const char* name) {
  if (!(p >= 0.0 && p <= 1.0)) return invalid_argument("augmentation ", name, " probability ", p, " is not in [0, 1]");
  return Status::Ok();
}

Status check_range(double lo, double hi, double min_allowed, const char* name) {
  if (!(lo >= min_allowed && hi >= lo)) {
    return invalid_argument("augmentation ", name, " range [", lo, ", ", hi, "] is empty or below ", min_allowed);
  }
  return Status::Ok();
}

}  // namespace

AugmentationOptions AugmentationOptions::none() {
  AugmentationOptions o;
  o.horizontal_flip = 0.0;
  o.vertical_flip = 0.0;
  o.rotate90 = 0.0;
  o.random_resized_crop.probability = 0.0;
  o.stain_jitter.probability = 0.0;
  o.brightness_contrast.probability = 0.0;
  o.gaussian_blur.probability = 0.0;
  return o;
}

bool AugmentationOptions::any() const {
  return horizontal_flip > 0 || vertical_flip > 0 || rotate90 > 0 || random_resized_crop.probability > 0 ||
         stain_jitter.probability > 0 || brightness_contrast.probability > 0 || gaussian_blur.probability > 0;
}

Status AugmentationOptions::validate() const {
  GRAMLITE_RETURN_IF_ERROR(check_probability(horizontal_flip, "horizontal_flip"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(vertical_flip, "vertical_flip"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(rotate90, "rotate90"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(random_resized_crop.probability, "random_resized_crop"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(stain_jitter.probability, "stain_jitter"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(brightness_contrast.probability, "brightness_contrast"));
  GRAMLITE_RETURN_IF_ERROR(check_probability(gaussian_blur.probability, "gaussian_blur"));
  GRAMLITE_RETURN_IF_ERROR(
      check_range(random_resized_crop.min_scale, random_resized_crop.max_scale, 1e-6, "random_resized_crop scale"));
  if (random_resized_crop.max_scale > 1.0) return invalid_argument("augmentation random_resized_crop max_scale > 1");
  GRAMLITE_RETURN_IF_ERROR(
      check_range(random_resized_crop.min_ratio, random_resized_crop.max_ratio, 1e-6, "random_resized_crop ratio"));
  GRAMLITE_RETURN_IF_ERROR(check_range(0.0, stain_jitter.scale, 0.0, "stain_jitter scale"));
  if (stain_jitter.scale >= 1.0) return invalid_argument("augmentation stain_jitter scale must be below 1");
  GRAMLITE_RETURN_IF_ERROR(check_range(0.0, stain_jitter.shift, 0.0, "stain_jitter shift"));
  GRAMLITE_RETURN_IF_ERROR(check_range(0.0, brightness_contrast.brightness, 0.0, "brightness"));
  GRAMLITE_RETURN_IF_ERROR(check_range(0.0, brightness_contrast.contrast, 0.0, "contrast"));
  if (brightness_contrast.brightness >= 1.0 || brightness_contrast.contrast >= 1.0) {
    return invalid_argument("augmentation brightness and contrast must be below 1");
  }
  GRAMLITE_RETURN_IF_ERROR(check_range(gaussian_blur.min_sigma, gaussian_blur.max_sigma, 1e-3, "gaussian_blur sigma"));
  return Status::Ok();
}

RgbImage flip_horizontal(const RgbImage& image) {
  RgbImage out = image;
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = &image.pixels[static_cast<size_t>(y) * image.width * 3];
    uint8_t* dst = &out.pixels[static_cast<size_t>(y) * image.width * 3];
    for (int x = 0; x < image.width; ++x) std::copy_n(src + (image.width - 1 - x) * 3, 3, dst + x * 3);
  }
  return out;
}

RgbImage flip_vertical(const RgbImage& image) {
  RgbImage out = image;
  const size_t row = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    std::copy_n(&image.pixels[(image.height - 1 - y) * row], row, &out.pixels[y * row]);
  }
  return out;
}

RgbImage rotate90(const RgbImage& image, int quarter_turns) {
  const int turns = ((quarter_turns % 4) + 4) % 4;
  if (turns == 0) return image;
  const bool swap = turns % 2 == 1;
  RgbImage out = internal::make_image(swap ? image.height : image.width, swap ? image.width : image.height);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // Source coordinates of output (x, y) for a counter-clockwise rotation.
      int sx = 0, sy = 0;
      if (turns == 1) {
        sx = image.width - 1 - y;
        sy = x;
      } else if (turns == 2) {
        sx = image.width - 1 - x;
        sy = image.height - 1 - y;
      } else {
        sx = y;
        sy = image.height - 1 - x;
      }
      std::copy_n(&image.pixels[(static_cast<size_t>(sy) * image.width + sx) * 3], 3,
                  &out.pixels[(static_cast<size_t>(y) * out.width + x) * 3]);
    }
  }
  return out;
}

void adjust_brightness_contrast(RgbImage& image, double brightness, double contrast) {
  // Mean grey (ITU-R 601 luma) of the brightened image, then one lookup table for both steps.
  double luma_sum = 0.0;
  const size_t pixels = image.pixels.size() / 3;
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t* p = &image.pixels[i * 3];
    luma_sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  }
  const double mean = pixels == 0 ? 0.0 : std::min(255.0, luma_sum / pixels * brightness);
  uint8_t table[256];
  for (int v = 0; v < 256; ++v) {
    const double bright = std::min(255.0, v * brightness);
    table[v] = static_cast<uint8_t>(std::clamp(std::lround(contrast * bright + (1.0 - contrast) * mean), 0L, 255L));
  }
  for (uint8_t& value : image.pixels) value = table[value];
}

Status gaussian_blur(RgbImage& image, double sigma) {
  GRAMLITE_RETURN_IF_ERROR(check_rgb_image(image));
  if (!(sigma > 0.0)) return invalid_argument("blur sigma must be positive, got ", sigma);
  try {
    cv::Mat view = internal::mat_view(image);
    cv::Mat blurred;
    cv::GaussianBlur(view, blurred, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
    blurred.copyTo(view);
  } catch (const cv::Exception& e) {
    return internal_error("gaussian blur: ", e.what());
  }
  return Status::Ok();
}

CropBox random_crop_box(int width, int height, const RandomResizedCropOptions& options, SampleRng& rng) {
  const double area = static_cast<double>(width) * height;
  const double log_min = std::log(options.min_ratio), log_max = std::log(options.max_ratio);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(options.min_scale, options.max_scale);
    const double ratio = std::exp(rng.uniform(log_min, log_max));
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const int x = static_cast<int>(rng.uniform_int(width - w + 1));
      const int y = static_cast<int>(rng.uniform_int(height - h + 1));
      return {x, y, w, h};
    }
  }
  // Fallback: the whole image, trimmed to the ratio range, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < options.min_ratio) {
    h = std::max(1, static_cast<int>(std::lround(w / options.min_ratio)));
  } else if (in_ratio > options.max_ratio) {
    w = std::max(1, static_cast<int>(std::lround(h * options.max_ratio)));
  }
  return {(width - w) / 2, (height - h) / 2, w, h};
}

Result<RgbImage> augment_to_size(const RgbImage& image, const AugmentationOptions& options, ir::ResizeMode mode,
                                 int width, int height, SampleRng& rng) {
  GRAMLITE_RETURN_IF_ERROR(check_rgb_image(image));
  // Every draw happens whether or not its transform fires, so changing one probability does not
  // change what the others do for the same seed.
  const bool crop = rng.bernoulli(options.random_resized_crop.probability);
  const CropBox box = random_crop_box(image.width, image.height, options.random_resized_crop, rng);
  const bool flip_h = rng.bernoulli(options.horizontal_flip);
  const bool flip_v = rng.bernoulli(options.vertical_flip);
  const bool rotate = rng.bernoulli(options.rotate90);
  const int turns = 1 + static_cast<int>(rng.uniform_int(3));
  const bool stain = rng.bernoulli(options.stain_jitter.probability);
  StainFactors factors;
  for (int dye = 0; dye < 2; ++dye) {
    factors.scale[dye] = static_cast<float>(rng.uniform(1.0 - options.stain_jitter.scale, 1.0 + options.stain_jitter.scale));
    factors.shift[dye] = static_cast<float>(rng.uniform(-options.stain_jitter.shift, options.stain_jitter.shift));
  }
  const bool colour = rng.bernoulli(options.brightness_contrast.probability);
  const double brightness =
      rng.uniform(1.0 - options.brightness_contrast.brightness, 1.0 + options.brightness_contrast.brightness);
  const double contrast =
      rng.uniform(1.0 - options.brightness_contrast.contrast, 1.0 + options.brightness_contrast.contrast);
  const bool blur = rng.bernoulli(options.gaussian_blur.probability);
  const double sigma = rng.uniform(options.gaussian_blur.min_sigma, options.gaussian_blur.max_sigma);

  Result<RgbImage> sized = crop ? crop_and_resize(image, box, width, height) : resize_for_model(image, mode, width, height);
  if (!sized.ok()) return sized.status();
  RgbImage out = std::move(sized).value();
  if (flip_h) out = flip_horizontal(out);
  if (flip_v) out = flip_vertical(out);
  if (rotate) out = rotate90(out, width == height ? turns : 2);  // a quarter turn would change the shape
  if (stain) apply_stain_factors(out, factors);
  if (colour) adjust_brightness_contrast(out, brightness, contrast);
  if (blur) GRAMLITE_RETURN_IF_ERROR(gaussian_blur(out, sigma));
  return out;
}

}  // namespace gramlite::data
