// Internal: the amount of each dye at every pixel of a region, before light passes through it.
#pragma once

#include <cstdint>
#include <vector>

#include "data/synth/field_objects.h"

namespace gramlite::data::synth::internal {

// Pixel (i, j) of the planes is global pixel (x0 + i, y0 + j); its centre is at
// ((x0 + i + 0.5) * mpp, (y0 + j + 0.5) * mpp) um.
struct DyePlanes {
  int64_t x0 = 0, y0 = 0;
  int width = 0, height = 0;
  double microns_per_pixel = 0.1;
  std::vector<float> crystal_violet, safranin, neutral;  // width * height, row-major

  DyePlanes(int64_t x, int64_t y, int w, int h, double mpp)
      : x0(x), y0(y), width(w), height(h), microns_per_pixel(mpp),
        crystal_violet(static_cast<size_t>(w) * h, 0.0f), safranin(static_cast<size_t>(w) * h, 0.0f),
        neutral(static_cast<size_t>(w) * h, 0.0f) {}
};

// The proteinaceous background (fractal safranin texture with fibrous ridges).
void paint_background(const FieldSpec& spec, uint64_t seed, DyePlanes& planes);

// Adds one object's dyes, with analytic anti-aliasing (coverage from a signed distance).
void paint_object(const RenderedObject& object, DyePlanes& planes);

}  // namespace gramlite::data::synth::internal
