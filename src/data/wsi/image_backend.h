// Plain images (PNG, JPEG, BMP, WebP, ...) as a one-level slide (internal to data_wsi).
//
// Memory: the whole image is decoded once and kept, width * height * 3 bytes (a 20,000 x 20,000
// PNG is 1.2 GB). TIFFs rarely come here: OpenSlide reads tiled ones tile by tile and
// strip_tiff_backend untiled ones strip by strip. Decoding goes through data::read_rgb_image
// (alpha composited over white).
#pragma once

#include <memory>
#include <string>

#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

// File extensions (lower case, with dot) this backend accepts.
bool is_plain_image_extension(const std::string& extension);

Result<std::unique_ptr<Slide>> open_as_image(const std::string& path);

}  // namespace gramlite::data::wsi
