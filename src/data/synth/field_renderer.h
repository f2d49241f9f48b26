// Renders a synthetic Gram-stained field of view at oil-immersion scale.
//
// The one entry point a slide writer needs: render_field(spec, seed, x, y, w, h) gives the pixels
// of the rectangle at (x, y) in a global pixel frame. The same (spec, seed) renders seamlessly
// across neighbouring rectangles (objects crossing a border appear in both halves, texture and
// noise continue), so a slide can be written tile by tile in any order, on any number of threads.
#pragma once

#include <cstdint>

#include "gramlite/base/status.h"
#include "gramlite/data/image.h"
#include "data/synth/field_objects.h"
#include "gramlite/data/synth/field_spec.h"
#include "gramlite/data/synth/stain_style.h"

namespace gramlite::data::synth {

// Bumped whenever the same (spec, seed) would render different pixels; recorded in datasets.
inline constexpr int kGeneratorVersion = 1;

// Largest width or height render_field accepts (rendering holds ~40 bytes per pixel: 8192^2 needs
// ~2.7 GB; a slide writer renders tiles of a few hundred pixels instead).
inline constexpr int kMaxFieldSide = 8192;

// Renders width x height pixels whose top-left is global pixel (origin_x, origin_y). Errors:
// invalid spec (names the field), sizes outside 1..kMaxFieldSide, |origin| >= 2^40.
Result<RgbImage> render_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x, int64_t origin_y, int width,
                              int height);

}  // namespace gramlite::data::synth
