// Bacteria: staphylococcal clusters, streptococcal chains and diplococcal pairs, rods.
#include <cmath>
#include <vector>

#include "data/synth/object_layout.h"

namespace gramlite::data::synth::internal {
namespace {

constexpr double kCellUm = 10.0;          // grid cell (100 um^2), so density is "per cell" directly
constexpr double kPi = 3.14159265358979323846;

// Group sizes (means are used to turn "cells per 100 um^2" into "groups per cell").
constexpr int kClusterMin = 4, kClusterMax = 22;
constexpr double kClusterSmallShare = 0.15;  // singles and pairs
constexpr double kClusterMean = kClusterSmallShare * 1.5 + (1 - kClusterSmallShare) * (kClusterMin + kClusterMax) / 2.0;
constexpr int kChainMin = 3, kChainMax = 14;
constexpr double kChainPairShare = 0.3;  // diplococci
constexpr double kChainMean = kChainPairShare * 2 + (1 - kChainPairShare) * (kChainMin + kChainMax) / 2.0;
constexpr double kRodMean = 0.75 * 1 + 0.25 * 2;

// Margins: the farthest any member reaches from its cell (centre stays inside the cell).
constexpr double kClusterMarginUm = 6.0;   // members within 2.6 um of the first one (see grow_cluster)
constexpr double kChainMarginUm = 8.5;     // 14 cocci x 1.08 um / 2 + 1 um
constexpr double kRodMarginUm = 5.0;       // a second rod's far end: 1.5 + 0.08 + 3 + 0.2 um

// Local density multiplier of a cell: 1 - clumping + 2 * clumping * noise, noise in [0, 1] over
// ~50 um (a value-noise field per layer), so the mean stays ~1 and clumping 1 swings it over 0..2.
double clump_factor(const FieldSpec& spec, uint64_t seed, uint64_t layer, double cell_x0, double cell_y0) {
  if (spec.clumping <= 0) return 1.0;
  const double n = value_noise(hash_of(seed, layer, 0xC1u), (cell_x0 + kCellUm / 2) / 50.0, (cell_y0 + kCellUm / 2) / 50.0);
  return 1.0 - spec.clumping + 2.0 * spec.clumping * n;
}

double coccus_diameter(CellRng& rng, double group_mean) {
  return std::fmin(1.0, std::fmax(0.8, group_mean + 0.03 * rng.normal()));
}

RenderedObject make_coccus(Organism organism, uint64_t group, double x, double y, double diameter, double angle) {
  RenderedObject c;
  c.kind = ObjectKind::kCoccus;
  c.organism = organism;
  c.group_id = group;
  c.x_um = x;
  c.y_um = y;
  c.length_um = diameter;
  c.width_um = diameter;
  c.angle_rad = angle;
  c.bounding_radius_um = diameter / 2 + 0.2;  // + anti-aliasing fringe and rounding
  c.gram_positive = true;
  return c;
}

// Grape-like cluster: each new coccus touches a random earlier one, at a random angle, without
// overlapping the others by more than ~20 %, within 2.6 um of the first. Recentred on its centroid.
void grow_cluster(CellRng& rng, int count, double mean_diameter, std::vector<double>& xs, std::vector<double>& ys,
                  std::vector<double>& ds) {
  xs.assign(1, 0.0);
  ys.assign(1, 0.0);
  ds.assign(1, coccus_diameter(rng, mean_diameter));
  for (int k = 1; k < count; ++k) {
    const double d = coccus_diameter(rng, mean_diameter);
    for (int attempt = 0; attempt < 24; ++attempt) {
      const int j = rng.uniform_int(0, static_cast<int>(xs.size()) - 1);
      const double a = rng.uniform(0, 2 * kPi);
      const double dist = (d + ds[j]) / 2 * rng.uniform(0.88, 1.0);
      const double x = xs[j] + dist * std::cos(a), y = ys[j] + dist * std::sin(a);
      bool clear = std::sqrt(x * x + y * y) <= 2.6;  // keeps the cluster compact and within its margin
      for (size_t i = 0; i < xs.size() && clear; ++i) {
        const double dx = x - xs[i], dy = y - ys[i];
        clear = std::sqrt(dx * dx + dy * dy) >= 0.8 * (d + ds[i]) / 2;
      }
      if (clear) {
        xs.push_back(x);
        ys.push_back(y);
        ds.push_back(d);
        break;
      }
    }
  }
  double mx = 0, my = 0;
  for (size_t i = 0; i < xs.size(); ++i) mx += xs[i], my += ys[i];
  mx /= static_cast<double>(xs.size());
  my /= static_cast<double>(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) xs[i] -= mx, ys[i] -= my;
}

void layout_clusters(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out) {
  const double density = spec.organism_density[0];
  if (density <= 0) return;
  std::vector<double> xs, ys, ds;
  for_each_cell(seed, kLayerClusters, kCellUm, kClusterMarginUm, region,
                [&](CellRng& rng, double x0, double y0, uint64_t cell_hash) {
                  const int groups = rng.poisson(density / kClusterMean * clump_factor(spec, seed, kLayerClusters, x0, y0));
                  for (int g = 0; g < groups; ++g) {
                    const int count = rng.chance(kClusterSmallShare) ? rng.uniform_int(1, 2)
                                                                     : rng.uniform_int(kClusterMin, kClusterMax);
                    const double mean_d = rng.uniform(0.82, 0.98);
                    const double gx = x0 + rng.uniform(0, kCellUm), gy = y0 + rng.uniform(0, kCellUm);
                    const double group_factor = rng.uniform(0.0, 2.0);
                    const uint64_t group = hash_of(cell_hash, static_cast<uint64_t>(g));
                    grow_cluster(rng, count, mean_d, xs, ys, ds);
                    for (size_t i = 0; i < xs.size(); ++i) {
                      RenderedObject c = make_coccus(Organism::kGramPositiveCocciClusters, group, gx + xs[i],
                                                     gy + ys[i], ds[i], rng.uniform(0, kPi));
                      c.shape_seed = rng.next();
                      stain_bacterium(spec, seed, group_factor, rng, c);
                      keep_if_visible(region, spec.stain, c, out);
                    }
                  }
                });
}

// Chains curve gently (direction random-walks ~0.25 rad per cell); cells sit in pairs (division
// plane), so the gap alternates short / long. Pairs alone are diplococci. Centred on their midpoint.
void layout_chains(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out) {
  const double density = spec.organism_density[1];
  if (density <= 0) return;
  std::vector<double> xs, ys, ds, as;
  for_each_cell(seed, kLayerChains, kCellUm, kChainMarginUm, region,
                [&](CellRng& rng, double x0, double y0, uint64_t cell_hash) {
                  const int groups = rng.poisson(density / kChainMean * clump_factor(spec, seed, kLayerChains, x0, y0));
                  for (int g = 0; g < groups; ++g) {
                    const int count = rng.chance(kChainPairShare) ? 2 : rng.uniform_int(kChainMin, kChainMax);
                    const double mean_d = rng.uniform(0.82, 0.98);
                    const double gx = x0 + rng.uniform(0, kCellUm), gy = y0 + rng.uniform(0, kCellUm);
                    const double group_factor = rng.uniform(0.0, 2.0);
                    const uint64_t group = hash_of(cell_hash, static_cast<uint64_t>(g));
                    double direction = rng.uniform(0, 2 * kPi);
                    const double turn = rng.uniform(0.05, 0.3);
                    xs.assign(1, 0.0);
                    ys.assign(1, 0.0);
                    ds.assign(1, coccus_diameter(rng, mean_d));
                    as.assign(1, direction);
                    for (int k = 1; k < count; ++k) {
                      const double d = coccus_diameter(rng, mean_d);
                      const double gap = (k % 2 == 1) ? rng.uniform(0.90, 0.97) : rng.uniform(1.0, 1.08);
                      direction += turn * rng.normal();
                      xs.push_back(xs.back() + (d + ds.back()) / 2 * gap * std::cos(direction));
                      ys.push_back(ys.back() + (d + ds.back()) / 2 * gap * std::sin(direction));
                      ds.push_back(d);
                      as.push_back(direction);
                    }
                    const double mx = (xs.front() + xs.back()) / 2, my = (ys.front() + ys.back()) / 2;
                    for (size_t i = 0; i < xs.size(); ++i) {
                      // Cocci in chains are slightly oval along the chain axis (still within 0.8-1.0 um).
                      RenderedObject c = make_coccus(Organism::kGramPositiveCocciChains, group, gx + xs[i] - mx,
                                                     gy + ys[i] - my, ds[i], as[i]);
                      c.length_um = std::fmin(1.0, ds[i] * rng.uniform(1.0, 1.1));
                      c.bounding_radius_um = c.length_um / 2 + 0.2;
                      c.shape_seed = rng.next();
                      stain_bacterium(spec, seed, group_factor, rng, c);
                      keep_if_visible(region, spec.stain, c, out);
                    }
                  }
                });
}

// Rods 0.45-0.6 x 1.5-3.0 um, single or end to end in pairs (just divided).
void layout_rods(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out) {
  const double density = spec.organism_density[2];
  if (density <= 0) return;
  for_each_cell(seed, kLayerRods, kCellUm, kRodMarginUm, region,
                [&](CellRng& rng, double x0, double y0, uint64_t cell_hash) {
                  const int groups = rng.poisson(density / kRodMean * clump_factor(spec, seed, kLayerRods, x0, y0));
                  for (int g = 0; g < groups; ++g) {
                    const int count = rng.chance(0.25) ? 2 : 1;
                    double x = x0 + rng.uniform(0, kCellUm), y = y0 + rng.uniform(0, kCellUm);
                    double angle = rng.uniform(0, kPi);
                    const double width = rng.uniform(0.45, 0.6);
                    const double group_factor = rng.uniform(0.0, 2.0);
                    const uint64_t group = hash_of(cell_hash, static_cast<uint64_t>(g));
                    double previous_half = 0;
                    for (int k = 0; k < count; ++k) {
                      RenderedObject rod;
                      rod.kind = ObjectKind::kRod;
                      rod.organism = Organism::kGramNegativeRods;
                      rod.group_id = group;
                      rod.length_um = rng.uniform(1.5, 3.0);
                      rod.width_um = std::fmin(width + 0.02 * rng.normal(), rod.length_um);
                      if (k > 0) {
                        // The daughter cell continues from the division point, with a small kink.
                        x += previous_half * std::cos(angle);
                        y += previous_half * std::sin(angle);
                        angle += 0.25 * rng.normal();
                        x += (0.08 + rod.length_um / 2) * std::cos(angle);
                        y += (0.08 + rod.length_um / 2) * std::sin(angle);
                      }
                      previous_half = rod.length_um / 2;
                      rod.angle_rad = angle;
                      rod.x_um = x;
                      rod.y_um = y;
                      rod.bounding_radius_um = rod.length_um / 2 + 0.2;
                      rod.gram_positive = false;
                      rod.shape_seed = rng.next();
                      stain_bacterium(spec, seed, group_factor, rng, rod);
                      keep_if_visible(region, spec.stain, rod, out);
                    }
                  }
                });
}

}  // namespace

void layout_organisms(const FieldSpec& spec, uint64_t seed, const RegionUm& region, std::vector<RenderedObject>& out) {
  layout_clusters(spec, seed, region, out);
  layout_chains(spec, seed, region, out);
  layout_rods(spec, seed, region, out);
}

}  // namespace gramlite::data::synth::internal
