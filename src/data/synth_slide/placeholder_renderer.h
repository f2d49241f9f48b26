// A stand-in for synth::render_field, used only while gramlite::data_synth is not in the build.
// Same contract: deterministic from (seed, absolute pixel position), seamless across tiles.
// Organisms are drawn from a hashed grid of cells, each cell deciding its own organisms, so
// any rectangle can be rendered without its neighbours.
#pragma once

#include <array>
#include <cstdint>

#include "base/status.h"
#include "data/image.h"

namespace gramlite::data::synth_slide::placeholder {

struct FieldSpec {
  std::array<float, 3> organism_density{};  // cocci clusters, cocci chains, rods per 100 um^2
  double microns_per_pixel = 0.25;
};

Result<RgbImage> render_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x, int64_t origin_y, int width,
                              int height);

}  // namespace gramlite::data::synth_slide::placeholder
