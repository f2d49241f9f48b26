// Pixels for one rectangle of the synthetic slide that lies inside a single label cell.
//
// Organism classes come from the synthetic Gram-stain renderer (gramlite::data_synth,
// synth::render_field, seamless across calls); empty glass is drawn here.
#pragma once

#include <cstdint>

#include "gramlite/base/status.h"
#include "gramlite/data/image.h"
#include "data/synth_slide/slide_layout.h"

namespace gramlite::data::synth_slide {

// Renders width x height level-0 pixels at (origin_x, origin_y) as `region_class` would look.
// Seamless: the same seed and class give identical pixels for any split of a rectangle.
// kEmptyGlass gives bare glass (near white), the others a stained smear with organisms.
Result<RgbImage> render_region(RegionClass region_class, uint64_t seed, double microns_per_pixel, int64_t origin_x,
                               int64_t origin_y, int width, int height);

// "data_synth": which renderer produced the organisms (goes into regions.json).
const char* field_source_name();

}  // namespace gramlite::data::synth_slide
