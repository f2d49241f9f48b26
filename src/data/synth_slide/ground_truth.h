// The synthetic slide's ground truth files: the label map PNG and regions.json.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "data/synth_slide/slide_layout.h"

namespace gramlite::data::synth_slide {

struct GroundTruthInfo {
  uint64_t seed = 0;
  double microns_per_pixel = 0;
  int tile_size = 0;
  int level_count = 0;
  std::string slide_file;   // file name of the slide, for reference
  std::string renderer;
};

// One 8-bit grey pixel per label cell; the value is the RegionClass index (0..4). Written to
// `path` exactly (the caller picks a temporary name ending in .png).
Status write_label_map(const SlideLayout& layout, const std::string& path);

// regions.json: classes, label tile size, slide size, seed, mpp, and every 4-connected region of
// one class as {class, bbox in level-0 pixels [x, y, w, h], cells}.
Status write_regions_json(const SlideLayout& layout, const GroundTruthInfo& info, const std::string& path);

}  // namespace gramlite::data::synth_slide
