// From a decoded image (any size; data::read_rgb_image has already turned grey, RGBA and 16-bit
// files into 8-bit RGB) to the float CHW tensor a model reads.
//
// Two paths, one normalisation:
//  - evaluation (no augmentation): data::image_to_tensor itself, so `gramlite evaluate` sees
//    exactly the tensor `gramlite run` sees for the same file;
//  - training: augment_to_size (which resizes) and then normalize_resized_image, which is
//    data::image_to_tensor on an image already at the model size (its resize is then a copy).
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/data/dataset/augmentation.h"
#include "gramlite/data/dataset/sample_rng.h"
#include "gramlite/data/image.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::data {

// What the model takes: its input size and the preprocessing from its metadata.
struct ModelInput {
  int width = 224;
  int height = 224;
  ir::Preprocessing preprocessing;

  size_t tensor_size() const { return static_cast<size_t>(3) * width * height; }  // floats per image
  Status validate() const;
};

// Scales an image already at the model size to [0, 1], normalises with mean/std and writes
// planar CHW floats (3 * height * width) to `out`. The image must be input.width x input.height.
Status normalize_resized_image(const RgbImage& resized, const ModelInput& input, float* out);

// Decoded image -> tensor. With augmentation.any() false the rng is not used.
Status image_to_model_tensor(const RgbImage& image, const ModelInput& input, const AugmentationOptions& augmentation,
                             SampleRng& rng, float* out);

// Reads the file and converts it; errors name the file. Never throws. An image declaring more than
// `max_image_pixels` pixels is refused before it is decoded (read_rgb_image).
Status load_model_tensor(const std::string& path, const ModelInput& input, const AugmentationOptions& augmentation,
                         SampleRng& rng, float* out, int64_t max_image_pixels = kDefaultMaxImagePixels);

}  // namespace gramlite::data
