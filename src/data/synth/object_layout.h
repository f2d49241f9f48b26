// Internal: the cell grid that places objects seamlessly, shared by the organism and background
// layouts. Not installed; include only from src/data/synth/*.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "data/synth/field_objects.h"
#include "data/synth/synth_random.h"

namespace gramlite::data::synth::internal {

// A rectangle in microns, global frame.
struct RegionUm {
  double x0, y0, x1, y1;
};

// Objects are generated per square cell of `cell_um`, from a CellRng seeded by (seed, layer, cell).
// Each layer guarantees its objects lie within `margin_um` of their cell, so visiting every cell
// whose margin-expanded square meets the region finds every object that can touch it; cells are
// visited row by row, so any two objects keep their relative order in every region.
void for_each_cell(uint64_t seed, uint64_t layer, double cell_um, double margin_um, const RegionUm& region,
                   const std::function<void(CellRng& rng, double cell_x0, double cell_y0, uint64_t cell_hash)>& visit);

// Appends `object` if its bounding circle meets `region`, after filling in its nominal colour.
void keep_if_visible(const RegionUm& region, const StainStyle& stain, RenderedObject object,
                     std::vector<RenderedObject>& out);

// The dye a bacterium holds after decolourisation, given its true reaction. Sets crystal_violet,
// safranin and gram_variable. `group_factor` correlates variability within a cluster or chain.
void stain_bacterium(const FieldSpec& spec, uint64_t seed, double group_factor, CellRng& rng, RenderedObject& cell);

void layout_organisms(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out);
void layout_host_cells_and_debris(const FieldSpec& spec, uint64_t seed, const RegionUm& region,
                                  std::vector<RenderedObject>& out);
void layout_precipitate(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out);

// Layer ids: part of the hash, so changing one changes the generated data (bump kGeneratorVersion).
enum Layer : uint64_t {
  kLayerClusters = 1,
  kLayerChains = 2,
  kLayerRods = 3,
  kLayerPrecipitate = 4,
  kLayerNeutrophils = 5,
  kLayerRedCells = 6,
  kLayerDebris = 7,
  kLayerDecolourisation = 8,
};

}  // namespace gramlite::data::synth::internal
