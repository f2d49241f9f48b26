// PNG and JPEG decoding that reports problems as values (internal to src/data).
//
// libpng's default error handler prints "libpng error: ..." and libjpeg prints "Corrupt JPEG data:
// ..." to stderr, and OpenCV gives no way to route either: a broken image added lines beside
// gramlite's one-line error. These decoders install their own handlers and produce exactly what
// cv::imdecode(IMREAD_UNCHANGED) produces (BGR(A) channel order; 16-bit PNGs kept at 16 bits; PNG
// palettes expanded, tRNS as alpha; CMYK JPEGs as BGR), so read_rgb_image's result does not change.
#pragma once

#include <cstddef>
#include <cstdint>

#include <opencv2/core.hpp>

#include "gramlite/base/status.h"

namespace gramlite::data {

bool looks_like_png(const uint8_t* data, size_t size);
bool looks_like_jpeg(const uint8_t* data, size_t size);

// Errors are kCorruptData with the library's message (one line, no file name: the caller adds it).
// Warnings (a truncated JPEG's "premature end") are dropped: the decoders fill what is missing, as
// OpenCV did.
Result<cv::Mat> decode_png_quietly(const uint8_t* data, size_t size);
Result<cv::Mat> decode_jpeg_quietly(const uint8_t* data, size_t size);

bool looks_like_tiff(const uint8_t* data, size_t size);

// Checks before cv::imdecode for the formats still decoded by OpenCV (decoder_preflight.cc): a
// failing OpenCV decoder prints "imdecode_(''): can't read data" to stderr itself. preflight_tiff
// decodes every strip or tile of the first page with libtiff (handlers per handle, nothing
// printed); preflight_bmp checks that an uncompressed BMP holds all its rows. kCorruptData when not.
Status preflight_tiff(const uint8_t* data, size_t size);
Status preflight_bmp(const uint8_t* data, size_t size);

}  // namespace gramlite::data
