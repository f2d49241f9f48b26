// Decoded images and how they become model inputs. OpenCV stays inside src/data: nothing here
// exposes cv::Mat, so callers (the CLI, later the slide analyser) do not compile against OpenCV.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::data {

// 8-bit RGB, row-major, interleaved (HWC).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3
};

// The largest image read_rgb_image decodes by default: 10000 x 10000 pixels, 300 MB as 8-bit RGB
// and about twice that at the peak of decoding. Classification inputs (microscope fields, patches)
// are far smaller; whole slides go through data/wsi (OpenSlide and the strip TIFF reader read them
// region by region), and plain images opened as slides pass their own, larger bound.
inline constexpr int64_t kDefaultMaxImagePixels = int64_t{10000} * 10000;

// Decodes PNG, JPEG, TIFF, BMP, ... of any channel count (grey, grey+alpha, RGB, RGBA) and 8 or
// 16 bits per channel into 8-bit RGB. Alpha is composited over white (slide scanners pad with
// white). Errors name the file.
Result<RgbImage> read_rgb_image(const std::string& path, int64_t max_pixels = kDefaultMaxImagePixels);

// Checks that an image's buffer matches its size; an error names what is wrong.
Status check_rgb_image(const RgbImage& image);

// The geometry every model input goes through. kStretch: resize to width x height.
// kShorterSideCrop: shorter side to min(width, height) * 256 / 224, then the centre crop. Area
// interpolation when shrinking, bilinear when enlarging. Augmentation works on its 8-bit output.
Result<RgbImage> resize_for_model(const RgbImage& image, ir::ResizeMode mode, int width, int height);

// Scales an image already at model size to [0, 1], normalises with the metadata's mean/std and
// writes planar CHW floats (3 * height * width) to `out`.
Status normalize_to_tensor(const RgbImage& resized, const ir::Preprocessing& preprocessing, float* out);

// resize_for_model + normalize_to_tensor.
Status image_to_tensor(const RgbImage& image, const ir::Preprocessing& preprocessing, int width, int height,
                       float* out);

}  // namespace gramlite::data
