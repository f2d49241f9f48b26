// Crops for augmentation. The model-input geometry itself (resize_for_model, check_rgb_image)
// lives in data/image.h, shared with data::image_to_tensor.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/data/image.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::data {

// A rectangle of source pixels.
struct CropBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// Cuts `box` out of `image` and resizes it to width x height (random resized crops).
Result<RgbImage> crop_and_resize(const RgbImage& image, const CropBox& box, int width, int height);

}  // namespace gramlite::data
