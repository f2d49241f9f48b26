// The pixel size an encoded image declares, read from its header without decoding it (internal to
// src/data). read_rgb_image bounds the decoded size with it before a decoder allocates anything: a
// 2.6 MB PNG can declare 30000 x 30000 pixels, 2.7 GB as RGB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace gramlite::data {

struct DeclaredImageSize {
  int64_t width = 0;
  int64_t height = 0;
  const char* format = "";  // "PNG", "JPEG", ...
};

// PNG (IHDR), JPEG (the first SOFn), BMP (BITMAPINFOHEADER and later, or OS/2 core), TIFF and
// BigTIFF (the first IFD: OpenCV decodes the first page), WebP (VP8, VP8L, VP8X), PNM/PAM (P1-P7
// text header) and JPEG 2000 (jp2 ihdr box or a raw codestream's SIZ). nullopt: another format, or
// a header too broken to say (the decoder then reports it).
std::optional<DeclaredImageSize> read_declared_image_size(const uint8_t* data, size_t size);

}  // namespace gramlite::data
