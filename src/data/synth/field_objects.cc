#include "data/synth/field_objects.h"

#include <cmath>

#include "data/synth/object_layout.h"

namespace gramlite::data::synth {
namespace internal {

void for_each_cell(uint64_t seed, uint64_t layer, double cell_um, double margin_um, const RegionUm& region,
                   const std::function<void(CellRng& rng, double cell_x0, double cell_y0, uint64_t cell_hash)>& visit) {
  const auto cx0 = static_cast<int64_t>(std::floor((region.x0 - margin_um) / cell_um));
  const auto cx1 = static_cast<int64_t>(std::floor((region.x1 + margin_um) / cell_um));
  const auto cy0 = static_cast<int64_t>(std::floor((region.y0 - margin_um) / cell_um));
  const auto cy1 = static_cast<int64_t>(std::floor((region.y1 + margin_um) / cell_um));
  for (int64_t cy = cy0; cy <= cy1; ++cy) {
    for (int64_t cx = cx0; cx <= cx1; ++cx) {
      const uint64_t cell_hash = hash_of(seed, layer, static_cast<uint64_t>(cx), static_cast<uint64_t>(cy));
      CellRng rng(cell_hash);
      visit(rng, static_cast<double>(cx) * cell_um, static_cast<double>(cy) * cell_um, cell_hash);
    }
  }
}

void keep_if_visible(const RegionUm& region, const StainStyle& stain, RenderedObject object,
                     std::vector<RenderedObject>& out) {
  const double r = object.bounding_radius_um;
  const double nx = std::fmin(std::fmax(object.x_um, region.x0), region.x1);
  const double ny = std::fmin(std::fmax(object.y_um, region.y0), region.y1);
  const double dx = object.x_um - nx, dy = object.y_um - ny;
  if (dx * dx + dy * dy > r * r) return;
  for (int c = 0; c < 3; ++c) {
    const double od = object.crystal_violet * stain.crystal_violet_od[c] + object.safranin * stain.safranin_od[c] +
                      object.neutral * stain.neutral_od[c];
    const double v = 255.0 * stain.illumination[c] * std::exp(-od);
    object.colour[c] = static_cast<uint8_t>(std::lround(std::fmin(255.0, std::fmax(0.0, v))));
  }
  out.push_back(object);
}

void stain_bacterium(const FieldSpec& spec, uint64_t seed, double group_factor, CellRng& rng, RenderedObject& cell) {
  const StainStyle& stain = spec.stain;
  // Decolourisation is uneven across a smear (thick areas keep more violet): a slow noise field
  // over ~40 um scales the local rate between 0.4x and 1.6x.
  const double local =
      0.4 + 1.2 * value_noise(hash_of(seed, kLayerDecolourisation), cell.x_um / 40.0, cell.y_um / 40.0);
  const double base = spec.decolourisation_variability * local * group_factor;
  const double bias = stain.decolourisation_bias;
  if (cell.gram_positive) {
    // Over-decolourised (or old, wall-damaged) gram-positive cells lose violet and take safranin.
    const double p = std::fmin(1.0, base * (1.0 + bias));
    cell.gram_variable = rng.chance(p);
    const double retained = cell.gram_variable ? rng.uniform(0.0, 0.55) : rng.uniform(0.85, 1.1);
    cell.crystal_violet = static_cast<float>(stain.crystal_violet_intensity * retained);
    cell.safranin = static_cast<float>(stain.safranin_intensity * (1.0 - std::fmin(1.0, retained)) * rng.uniform(0.8, 1.0));
  } else {
    // Under-decolourised gram-negative cells keep some violet.
    const double p = std::fmin(1.0, 0.5 * base * (1.0 - bias));
    cell.gram_variable = rng.chance(p);
    const double retained = cell.gram_variable ? rng.uniform(0.3, 0.75) : 0.0;
    cell.crystal_violet = static_cast<float>(stain.crystal_violet_intensity * retained);
    cell.safranin = static_cast<float>(stain.safranin_intensity * (1.0 - 0.5 * retained) * rng.uniform(0.8, 1.1));
  }
}

}  // namespace internal

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kCoccus: return "coccus";
    case ObjectKind::kRod: return "rod";
    case ObjectKind::kPrecipitate: return "precipitate";
    case ObjectKind::kNeutrophil: return "neutrophil";
    case ObjectKind::kRedCellGhost: return "red_cell_ghost";
    case ObjectKind::kDebris: return "debris";
    case ObjectKind::kMucusStrand: return "mucus_strand";
  }
  return "unknown";
}

Result<std::vector<RenderedObject>> objects_in_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x,
                                                     int64_t origin_y, int width, int height) {
  GRAMLITE_RETURN_IF_ERROR(validate_field_spec(spec));
  if (width <= 0 || height <= 0) return invalid_argument("objects_in_field: empty region ", width, "x", height);
  const double mpp = spec.microns_per_pixel;
  const internal::RegionUm region{static_cast<double>(origin_x) * mpp, static_cast<double>(origin_y) * mpp,
                                  static_cast<double>(origin_x + width) * mpp,
                                  static_cast<double>(origin_y + height) * mpp};
  std::vector<RenderedObject> objects;
  internal::layout_host_cells_and_debris(spec, seed, region, objects);
  internal::layout_organisms(spec, seed, region, objects);
  internal::layout_precipitate(spec, seed, region, objects);
  return objects;
}

}  // namespace gramlite::data::synth
