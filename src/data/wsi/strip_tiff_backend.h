// Untiled (strip) TIFFs as a one-level slide, read strip by strip through libtiff (internal to
// data_wsi).
//
// OpenSlide only reads tiled TIFFs, and decoding a 40,000 px strip TIFF through OpenCV would hold
// the whole image (4.8 GB). Here a region read decodes only the strips it touches (libtiff's RGBA
// interface: any photometric, bit depth and compression libtiff knows), keeping the last strip
// decoded for the next read. Memory: one decoded strip (width * rows_per_strip * 4 bytes; a file
// written as a single strip costs its full size, which is refused above 2^28 pixels).
#pragma once

#include <memory>
#include <string>

#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

// A TIFF (any layout) whose chain of directories cannot be read to its end, e.g. a slide cut
// short: kCorruptData naming the file. Ok for a readable chain and for files that are not TIFFs.
Status check_tiff_directory_chain(const std::string& path);

// True when `path` is a TIFF whose first image is stored in strips (not tiles).
bool is_strip_tiff(const std::string& path);

Result<std::unique_ptr<Slide>> open_strip_tiff(const std::string& path);

}  // namespace gramlite::data::wsi
