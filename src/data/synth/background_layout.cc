// Everything that is not a bacterium: neutrophils, red-cell ghosts, debris, mucus strands, and
// crystal-violet precipitate (the artefact that most often passes for gram-positive cocci).
#include <cmath>

#include "data/synth/object_layout.h"

namespace gramlite::data::synth::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHostCellUm = 20.0;       // 400 um^2 per cell: host cells are large
constexpr double kHostMarginUm = 8.0;      // neutrophil radius <= 6.5 um, x1.15 for the irregular outline
constexpr double kDebrisCellUm = 10.0;
constexpr double kDebrisMarginUm = 8.0;    // mucus strands up to 15 um long
constexpr double kPrecipitateCellUm = 10.0;
constexpr double kPrecipitateMarginUm = 5.0;  // clump spread <= 3 um (+ granule radius)
constexpr double kNeutrophilShare = 0.4;
constexpr double kPrecipitateClumpMean = 0.4 * 1 + 0.6 * (2 + 25) / 2.0;

double log_uniform(CellRng& rng, double lo, double hi) { return std::exp(rng.uniform(std::log(lo), std::log(hi))); }

}  // namespace

void layout_host_cells_and_debris(const FieldSpec& spec, uint64_t seed, const RegionUm& region,
                                  std::vector<RenderedObject>& out) {
  const StainStyle& stain = spec.stain;
  const double per_host_cell = spec.background_density * (kHostCellUm * kHostCellUm / 100.0);
  if (per_host_cell > 0) {
    // Red-cell ghosts first: they lie flat under everything else.
    for_each_cell(seed, kLayerRedCells, kHostCellUm, kHostMarginUm, region,
                  [&](CellRng& rng, double x0, double y0, uint64_t) {
                    const int n = rng.poisson(per_host_cell * (1 - kNeutrophilShare));
                    for (int i = 0; i < n; ++i) {
                      RenderedObject o;
                      o.kind = ObjectKind::kRedCellGhost;
                      o.x_um = x0 + rng.uniform(0, kHostCellUm);
                      o.y_um = y0 + rng.uniform(0, kHostCellUm);
                      o.length_um = rng.uniform(6.6, 8.0);
                      o.width_um = o.length_um * rng.uniform(0.85, 1.0);
                      o.angle_rad = rng.uniform(0, kPi);
                      o.irregularity = static_cast<float>(rng.uniform(0.0, 0.06));
                      o.bounding_radius_um = o.length_um / 2 * 1.15 + 0.3;
                      o.safranin = static_cast<float>(stain.safranin_intensity * rng.uniform(0.05, 0.12));
                      o.shape_seed = rng.next();
                      keep_if_visible(region, stain, o, out);
                    }
                  });
    for_each_cell(seed, kLayerNeutrophils, kHostCellUm, kHostMarginUm, region,
                  [&](CellRng& rng, double x0, double y0, uint64_t) {
                    const int n = rng.poisson(per_host_cell * kNeutrophilShare);
                    for (int i = 0; i < n; ++i) {
                      RenderedObject o;
                      o.kind = ObjectKind::kNeutrophil;
                      o.x_um = x0 + rng.uniform(0, kHostCellUm);
                      o.y_um = y0 + rng.uniform(0, kHostCellUm);
                      o.length_um = rng.uniform(10.0, 13.0);
                      o.width_um = o.length_um * rng.uniform(0.85, 1.0);
                      o.angle_rad = rng.uniform(0, kPi);
                      o.irregularity = static_cast<float>(rng.uniform(0.02, 0.10));
                      o.bounding_radius_um = o.length_um / 2 * 1.15 + 0.3;
                      // The centre colour is the nucleus's: safranin with a violet cast.
                      o.safranin = static_cast<float>(stain.safranin_intensity * rng.uniform(0.7, 1.0));
                      o.crystal_violet = static_cast<float>(stain.crystal_violet_intensity * rng.uniform(0.05, 0.2));
                      o.shape_seed = rng.next();
                      keep_if_visible(region, stain, o, out);
                    }
                  });
  }
  const double per_debris_cell = spec.debris * (kDebrisCellUm * kDebrisCellUm / 100.0);
  if (per_debris_cell > 0) {
    for_each_cell(seed, kLayerDebris, kDebrisCellUm, kDebrisMarginUm, region,
                  [&](CellRng& rng, double x0, double y0, uint64_t) {
                    const int n = rng.poisson(per_debris_cell);
                    for (int i = 0; i < n; ++i) {
                      RenderedObject o;
                      o.x_um = x0 + rng.uniform(0, kDebrisCellUm);
                      o.y_um = y0 + rng.uniform(0, kDebrisCellUm);
                      o.angle_rad = rng.uniform(0, kPi);
                      if (rng.chance(0.2)) {
                        o.kind = ObjectKind::kMucusStrand;
                        o.length_um = rng.uniform(4.0, 15.0);
                        o.width_um = rng.uniform(0.15, 0.4);
                        o.safranin = static_cast<float>(stain.safranin_intensity * rng.uniform(0.1, 0.35));
                        o.neutral = static_cast<float>(rng.uniform(0.0, 0.1));
                      } else {
                        o.kind = ObjectKind::kDebris;
                        o.length_um = log_uniform(rng, 0.5, 5.0);
                        o.width_um = o.length_um * rng.uniform(0.4, 1.0);
                        o.irregularity = static_cast<float>(rng.uniform(0.1, 0.35));
                        // Debris takes dyes unpredictably: mostly pink-brown, sometimes violet.
                        o.neutral = static_cast<float>(rng.uniform(0.1, 0.6));
                        o.safranin = static_cast<float>(stain.safranin_intensity * rng.uniform(0.0, 0.5));
                        o.crystal_violet =
                            rng.chance(0.2) ? static_cast<float>(stain.crystal_violet_intensity * rng.uniform(0.1, 0.6)) : 0.0f;
                      }
                      // Strands are smooth capsules; blobs reach 1 + irregularity of their radius.
                      o.bounding_radius_um = o.kind == ObjectKind::kMucusStrand ? o.length_um / 2 + 0.3
                                                                                : o.length_um / 2 * 1.45 + 0.3;
                      o.shape_seed = rng.next();
                      keep_if_visible(region, stain, o, out);
                    }
                  });
  }
}

void layout_precipitate(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out) {
  const StainStyle& stain = spec.stain;
  const double per_cell = spec.precipitate * (kPrecipitateCellUm * kPrecipitateCellUm / 100.0);
  if (per_cell <= 0) return;
  for_each_cell(seed, kLayerPrecipitate, kPrecipitateCellUm, kPrecipitateMarginUm, region,
                [&](CellRng& rng, double x0, double y0, uint64_t cell_hash) {
                  const int clumps = rng.poisson(per_cell / kPrecipitateClumpMean);
                  for (int c = 0; c < clumps; ++c) {
                    const int count = rng.chance(0.4) ? 1 : rng.uniform_int(2, 25);
                    const double cx = x0 + rng.uniform(0, kPrecipitateCellUm);
                    const double cy = y0 + rng.uniform(0, kPrecipitateCellUm);
                    const double spread = rng.uniform(0.3, 2.0);
                    const uint64_t group = hash_of(cell_hash, static_cast<uint64_t>(c), 0x9DEull);
                    for (int i = 0; i < count; ++i) {
                      RenderedObject o;
                      o.kind = ObjectKind::kPrecipitate;
                      o.group_id = group;
                      // Gaussian scatter, clipped so the clump stays within its margin.
                      o.x_um = cx + std::fmax(-3.0, std::fmin(3.0, spread * rng.normal()));
                      o.y_um = cy + std::fmax(-3.0, std::fmin(3.0, spread * rng.normal()));
                      if (rng.chance(spec.precipitate_mimicry)) {
                        // The mimic: round, coccus-sized, as dark as a stained coccus.
                        o.length_um = rng.uniform(0.7, 1.05);
                        o.width_um = o.length_um * rng.uniform(0.9, 1.0);
                        o.irregularity = static_cast<float>(rng.uniform(0.0, 0.06));
                        o.crystal_violet = static_cast<float>(stain.crystal_violet_intensity * rng.uniform(0.9, 1.3));
                      } else {
                        // Typical precipitate: angular, from dust-fine to oversized, blacker than cells.
                        o.length_um = log_uniform(rng, 0.2, 1.6);
                        o.width_um = o.length_um * rng.uniform(0.5, 1.0);
                        o.irregularity = static_cast<float>(rng.uniform(0.1, 0.35));
                        o.crystal_violet = static_cast<float>(stain.crystal_violet_intensity * rng.uniform(1.1, 1.9));
                      }
                      o.neutral = static_cast<float>(rng.uniform(0.0, 0.3));
                      o.angle_rad = rng.uniform(0, kPi);
                      o.bounding_radius_um = o.length_um / 2 * 1.45 + 0.2;
                      o.shape_seed = rng.next();
                      keep_if_visible(region, stain, o, out);
                    }
                  }
                });
}

}  // namespace gramlite::data::synth::internal
