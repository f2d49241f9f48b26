#include "data/synth_slide/field_source.h"

#include <cmath>

#include "data/synth/field_renderer.h"
#include "gramlite/data/synth/field_spec.h"
#include "gramlite/data/synth/stain_style.h"

namespace gramlite::data::synth_slide {
namespace {

uint64_t hash_position(uint64_t seed, int64_t x, int64_t y) {
  uint64_t h = seed ^ (static_cast<uint64_t>(x) * 0x9e3779b97f4a7c15ull) ^ (static_cast<uint64_t>(y) * 0xc2b2ae3d27d4eb4full);
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

// Bare glass: near white with faint grain; brighter and far less saturated than any smear.
RgbImage render_glass(uint64_t seed, int64_t origin_x, int64_t origin_y, int width, int height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  uint8_t* p = image.pixels.data();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x, p += 3) {
      const int grain = static_cast<int>(hash_position(seed, origin_x + x, origin_y + y) & 3) - 2;
      p[0] = static_cast<uint8_t>(244 + grain);
      p[1] = static_cast<uint8_t>(243 + grain);
      p[2] = static_cast<uint8_t>(241 + grain);
    }
  }
  return image;
}

// Individual organisms per 100 um^2 for synth::render_field (clusters, chains, rods), in the
// middle of the range sample_field_spec draws from; mixed regions split a similar load.
std::array<float, 3> synth_densities(RegionClass region_class) {
  switch (region_class) {
    case RegionClass::kCocciClusters: return {8.f, 0.f, 0.f};
    case RegionClass::kCocciChains: return {0.f, 8.f, 0.f};
    case RegionClass::kRods: return {0.f, 0.f, 8.f};
    case RegionClass::kMixed: return {3.f, 3.f, 3.f};
    case RegionClass::kEmptyGlass: break;
  }
  return {0.f, 0.f, 0.f};
}

}  // namespace

const char* field_source_name() { return "data_synth"; }

Result<RgbImage> render_region(RegionClass region_class, uint64_t seed, double microns_per_pixel, int64_t origin_x,
                               int64_t origin_y, int width, int height) {
  if (region_class == RegionClass::kEmptyGlass) return render_glass(seed, origin_x, origin_y, width, height);
  synth::FieldSpec spec;
  spec.organism_density = synth_densities(region_class);
  spec.stain = synth::sample_stain_style(seed);  // one stain per slide
  spec.microns_per_pixel = microns_per_pixel;
  spec.vignetting = 0;    // a scanner stitches flat-fielded frames: no per-frame vignetting
  spec.jpeg_quality = 0;  // the slide's own JPEG tiles compress once
  // Same seed for every class: host cells, debris and texture continue across region borders;
  // only the organisms change.
  return synth::render_field(spec, seed, origin_x, origin_y, width, height);
}


}  // namespace gramlite::data::synth_slide
