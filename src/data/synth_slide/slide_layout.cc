#include "data/synth_slide/slide_layout.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace gramlite::data::synth_slide {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Smooth noise on [0,1]^2: random values on a lattice, interpolated with smoothstep. Coarse
// lattices give the large, blob-like regions of a real smear.
class ValueNoise {
 public:
  ValueNoise(int lattice, std::mt19937_64& rng) : lattice_(lattice), values_((lattice + 1) * (lattice + 1)) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (double& v : values_) v = unit(rng);
  }
  double at(double u, double v) const {
    const double x = std::clamp(u, 0.0, 1.0) * lattice_;
    const double y = std::clamp(v, 0.0, 1.0) * lattice_;
    const int x0 = std::min(static_cast<int>(x), lattice_ - 1);
    const int y0 = std::min(static_cast<int>(y), lattice_ - 1);
    const double fx = smooth(x - x0);
    const double fy = smooth(y - y0);
    const double top = lerp(value(x0, y0), value(x0 + 1, y0), fx);
    const double bottom = lerp(value(x0, y0 + 1), value(x0 + 1, y0 + 1), fx);
    return lerp(top, bottom, fy);
  }

 private:
  static double smooth(double t) { return t * t * (3 - 2 * t); }
  static double lerp(double a, double b, double t) { return a + (b - a) * t; }
  double value(int x, int y) const { return values_[static_cast<size_t>(y) * (lattice_ + 1) + x]; }
  int lattice_;
  std::vector<double> values_;
};

}  // namespace

const char* region_class_name(RegionClass region_class) {
  switch (region_class) {
    case RegionClass::kEmptyGlass: return "empty_glass";
    case RegionClass::kCocciClusters: return "gram_positive_cocci_clusters";
    case RegionClass::kCocciChains: return "gram_positive_cocci_chains";
    case RegionClass::kRods: return "gram_negative_rods";
    case RegionClass::kMixed: return "mixed";
  }
  return "unknown";
}

SlideLayout make_slide_layout(int64_t slide_width, int64_t slide_height, int label_tile, uint64_t seed) {
  SlideLayout layout;
  layout.slide_width = slide_width;
  layout.slide_height = slide_height;
  layout.label_tile = label_tile;
  layout.cols = static_cast<int>((slide_width + label_tile - 1) / label_tile);
  layout.rows = static_cast<int>((slide_height + label_tile - 1) / label_tile);
  layout.labels.assign(static_cast<size_t>(layout.cols) * layout.rows, 0);

  std::mt19937_64 rng(seed ^ 0x5d1de5a1u);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Smear outline: an ellipse covering most of the slide whose radius wobbles with the angle
  // (three random harmonics), so the edge is irregular like a hand-made smear.
  const double cx = 0.5 + 0.06 * (unit(rng) - 0.5);
  const double cy = 0.5 + 0.06 * (unit(rng) - 0.5);
  const double rx = 0.36 + 0.06 * unit(rng);
  const double ry = 0.36 + 0.06 * unit(rng);
  double amplitude[3], phase[3];
  for (int h = 0; h < 3; ++h) {
    amplitude[h] = 0.05 * unit(rng);
    phase[h] = 2 * kPi * unit(rng);
  }
  const ValueNoise holes(5, rng);
  std::vector<ValueNoise> classes;
  for (int c = 1; c < kRegionClassCount; ++c) classes.emplace_back(3, rng);

  for (int row = 0; row < layout.rows; ++row) {
    for (int col = 0; col < layout.cols; ++col) {
      // Cell centre in [0,1]^2 of the slide.
      const double u = (col + 0.5) * label_tile / static_cast<double>(slide_width);
      const double v = (row + 0.5) * label_tile / static_cast<double>(slide_height);
      const double dx = (u - cx) / rx;
      const double dy = (v - cy) / ry;
      const double angle = std::atan2(dy, dx);
      double radius = 1.0;
      for (int h = 0; h < 3; ++h) radius += amplitude[h] * std::sin((h + 2) * angle + phase[h]);
      const bool inside = dx * dx + dy * dy < radius * radius;
      const bool hole = holes.at(u, v) > 0.82;  // a few patches the smear missed
      uint8_t label = static_cast<uint8_t>(RegionClass::kEmptyGlass);
      if (inside && !hole) {
        double best = -1;
        for (size_t c = 0; c < classes.size(); ++c) {
          const double value = classes[c].at(u, v);
          if (value > best) {
            best = value;
            label = static_cast<uint8_t>(c + 1);
          }
        }
      }
      layout.labels[static_cast<size_t>(row) * layout.cols + col] = label;
    }
  }
  return layout;
}

}  // namespace gramlite::data::synth_slide
