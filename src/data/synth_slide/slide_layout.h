// Where the synthetic slide's regions lie: one class per label tile, drawn from the seed.
//
// The layout is decided on the coarse label grid (one cell per label tile, e.g. 224 x 224 level-0
// pixels), so it is small even for a 50,000 px slide, and the renderer and the ground truth read
// the same cells: a label is exact for every pixel of its tile.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gramlite::data::synth_slide {

// Class indices of the label map (values of its pixels). Append-only.
enum class RegionClass : uint8_t {
  kEmptyGlass = 0,     // no smear: bare glass (outside the smear outline, or a hole in it)
  kCocciClusters = 1,  // gram-positive cocci in clusters (staphylococci-like)
  kCocciChains = 2,    // gram-positive cocci in chains (streptococci-like)
  kRods = 3,           // gram-negative rods
  kMixed = 4,          // all three together
};
inline constexpr int kRegionClassCount = 5;

// "empty_glass", "gram_positive_cocci_clusters", ...
const char* region_class_name(RegionClass region_class);

struct SlideLayout {
  int64_t slide_width = 0;   // level-0 pixels
  int64_t slide_height = 0;
  int label_tile = 0;        // level-0 pixels per label cell, both axes
  int cols = 0;              // ceil(slide_width / label_tile)
  int rows = 0;
  std::vector<uint8_t> labels;  // rows * cols RegionClass values, row-major

  RegionClass at(int col, int row) const {
    return static_cast<RegionClass>(labels[static_cast<size_t>(row) * cols + col]);
  }
};

// A smear outline (a wobbly ellipse with a few holes) filled with smooth random regions of the
// four organism classes. Same seed, same layout; the layout scales with the slide, so a small and
// a large slide from one seed look alike.
SlideLayout make_slide_layout(int64_t slide_width, int64_t slide_height, int label_tile, uint64_t seed);

}  // namespace gramlite::data::synth_slide
