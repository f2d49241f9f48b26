// A synthetic whole-slide image of a Gram-stained smear, with its ground truth.
//
// Output: a tiled, pyramidal, JPEG-compressed RGB TIFF (levels /2, /4, ... until the longer side
// is below 1024 px; resolution tags in pixels per cm so OpenSlide reports openslide.mpp-x/y),
// a label map PNG (one 8-bit pixel per label tile, value = RegionClass) and regions.json
// (class names, label tile size, connected regions with bounding boxes, seed, mpp). Memory is
// bounded by a few bands of tile_size rows, whatever the height (see pyramid_tiff_writer.h).
// Every file is written under a temporary name and renamed when complete (base/atomic_file.h).
#pragma once

#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"

namespace gramlite::data::synth_slide {

struct SyntheticSlideOptions {
  std::string output_path;            // the .tiff; ground truth goes next to it (see below)
  int64_t width = 8192;               // level-0 pixels
  int64_t height = 8192;
  uint64_t seed = 1;
  double microns_per_pixel = 0.1;     // level 0; the field renderer's default (synth::kDefaultMicronsPerPixel)
  int tile_size = 256;                // TIFF tile edge (256 or 512 are usual; multiple of 16)
  int jpeg_quality = 85;
  int label_tile_size = 224;          // level-0 pixels per label-map pixel
};

struct SyntheticSlideFiles {
  std::string slide_path;      // options.output_path
  std::string label_map_path;  // <output without extension>.labels.png
  std::string regions_path;    // <output without extension>.regions.json
  int level_count = 0;
  int label_cols = 0;
  int label_rows = 0;
  const char* renderer = "";   // field_source_name(): "data_synth"
};

// "<dir>/<stem>.labels.png" and "<dir>/<stem>.regions.json" for a slide path "<dir>/<stem>.tiff".
std::string label_map_path_for(const std::string& slide_path);
std::string regions_path_for(const std::string& slide_path);

// Renders on the threads of `pool` (borrowed; nullptr = the caller's thread); the files do not
// depend on it.
Result<SyntheticSlideFiles> write_synthetic_slide(const SyntheticSlideOptions& options, ThreadPool* pool = nullptr);

}  // namespace gramlite::data::synth_slide
