// Background rejection: which parts of a slide hold smear (or tissue) and which are bare glass.
//
// A pixel is smear when its saturation, (max - min) / max of R, G, B, is above a threshold AND
// its optical density in the darkest channel, -log10((I + 1) / 256), is above another. Glass is
// bright and grey; stained material is coloured and absorbs. The saturation threshold comes from
// Otsu's method on a low-resolution thumbnail of the whole slide (so it adapts to the stain and
// the scanner), clamped to a floor so that an all-glass slide does not split its noise in two;
// or it is fixed. The thresholds are returned so a caller can print them.
#pragma once

#include <cstdint>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/data/image.h"
#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

struct BackgroundOptions {
  bool use_otsu = true;                 // saturation threshold from Otsu on the thumbnail
  double saturation_threshold = 0.06;   // fixed threshold when !use_otsu; floor for Otsu's
  double optical_density_threshold = 0.05;  // darkest-channel OD (0.05 ~ intensity 228)
  double min_tissue_fraction = 0.1;     // a tile is kept when at least this share is smear
  int thumbnail_max_size = 2048;        // longer side of the thumbnail, pixels
};

// What compute_tissue_mask decided; printed by the CLI.
struct BackgroundThresholds {
  double saturation = 0;          // in [0, 1]
  double optical_density = 0;
  bool saturation_from_otsu = false;
  double min_tissue_fraction = 0;
  int thumbnail_width = 0;
  int thumbnail_height = 0;
  double thumbnail_downsample = 1;  // level-0 pixels per thumbnail pixel
  double slide_tissue_fraction = 0;  // share of the thumbnail that is smear
};

// The smear mask of the thumbnail, with an integral image for fast per-tile fractions.
class TissueMask {
 public:
  TissueMask() = default;
  const BackgroundThresholds& thresholds() const { return thresholds_; }
  // Share of smear in a level-0 rectangle (parts outside the slide count as glass).
  double fraction(int64_t x, int64_t y, int64_t width, int64_t height) const;
  // The mask itself: thumbnail_width * thumbnail_height bytes, 1 = smear.
  const std::vector<uint8_t>& mask() const { return mask_; }

 private:
  friend Result<TissueMask> compute_tissue_mask(const Slide& slide, const BackgroundOptions& options);
  BackgroundThresholds thresholds_;
  int64_t slide_width_ = 0, slide_height_ = 0;
  std::vector<uint8_t> mask_;
  std::vector<int64_t> integral_;  // (w + 1) * (h + 1)
};

// Reads a thumbnail (from the smallest level that is still large enough, in row bands, so memory
// stays bounded for single-level slides) and thresholds it.
Result<TissueMask> compute_tissue_mask(const Slide& slide, const BackgroundOptions& options);

// The same pixel test applied to a full-resolution image, e.g. one tile.
double tissue_fraction(const RgbImage& image, const BackgroundThresholds& thresholds);

// Thumbnail of the whole slide, longer side max_size (never upsampled). Bounded memory.
Result<RgbImage> read_thumbnail(const Slide& slide, int max_size);

}  // namespace gramlite::data::wsi
