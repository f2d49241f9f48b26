// The objects of a synthetic field: where every bacterium, host cell, debris particle and
// precipitate granule is, how big, and how much of each dye it holds.
//
// objects_in_field() is the renderer's first step, exposed so that tests (and a slide writer that
// wants ground truth) can check geometry without parsing pixels.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/data/synth/field_spec.h"

namespace gramlite::data::synth {

enum class ObjectKind {
  kCoccus,        // one spherical bacterium (part of a cluster or chain)
  kRod,           // one rod-shaped bacterium
  kPrecipitate,   // crystal-violet precipitate granule (artefact that mimics cocci)
  kNeutrophil,    // neutrophil: pale cytoplasm, 3-4 lobed nucleus
  kRedCellGhost,  // lysed red cell: pale disc with a faint rim
  kDebris,        // irregular amorphous particle
  kMucusStrand,   // thin faint fibre
};
const char* object_kind_name(ObjectKind kind);

struct RenderedObject {
  ObjectKind kind = ObjectKind::kDebris;
  Organism organism = Organism::kNone;  // morphology group for bacteria, kNone otherwise
  uint64_t group_id = 0;                // shared by the cocci of one cluster / chain, rods of one pair,
                                        // granules of one clump; unique per group within a field seed
  double x_um = 0, y_um = 0;            // centre in the global frame; pixel (px, py) covers
                                        // [px, px + 1) * microns_per_pixel
  double length_um = 0, width_um = 0;   // long and short axis (both the diameter for round objects)
  double angle_rad = 0;                 // direction of the long axis
  double bounding_radius_um = 0;        // the object touches no pixel farther than this from its centre
  bool gram_positive = false;           // the wall's true Gram reaction (bacteria only)
  bool gram_variable = false;           // stains with the opposite reaction (uneven decolourisation)
  float crystal_violet = 0, safranin = 0, neutral = 0;  // dye optical densities it holds at its centre
  float irregularity = 0;               // outline roughness, 0 = smooth ellipse / capsule
  uint64_t shape_seed = 0;              // outline harmonics, nucleus lobes, internal texture
  std::array<uint8_t, 3> colour{};      // nominal RGB at its centre on clean glass, before optics
};

// Every object whose bounding circle meets the pixel rectangle [origin_x, origin_x + width) x
// [origin_y, origin_y + height), in drawing order (host cells, debris, bacteria, precipitate).
// Pure function of (spec, seed) and the rectangle: an object is the same whichever rectangle finds it.
Result<std::vector<RenderedObject>> objects_in_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x,
                                                     int64_t origin_y, int width, int height);

}  // namespace gramlite::data::synth
