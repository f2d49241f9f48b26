// The proteinaceous background of a clinical smear: uneven pink from serum proteins and mucus,
// coarse blotches with fibrous ridges, never flat. Pure function of the global pixel coordinate.
#include <cmath>

#include "data/synth/dye_planes.h"
#include "data/synth/synth_random.h"

namespace gramlite::data::synth::internal {
namespace {

// The texture has no detail finer than ~1 um, so it is evaluated on a lattice every kStep pixels
// of the global frame and interpolated bilinearly: 16x fewer noise evaluations (it was a third of
// the render time), and still a pure function of the global coordinate, so tiles stay seamless.
constexpr int64_t kStep = 4;

int64_t floor_div(int64_t v, int64_t m) { return v >= 0 ? v / m : -((-v + m - 1) / m); }

struct Texture {
  float safranin, neutral;
};

Texture texture_at(double x, double y, float protein, uint64_t blotch_seed, uint64_t fibre_seed) {
  const float blotch = fractal_gradient_noise(blotch_seed, x, y, 10.0, 4);
  // Ridged noise (1 - |n|) peaks along curved lines: thin fibres of mucus and fibrin.
  const float ridge = 1.0f - std::fabs(gradient_noise(fibre_seed, x / 4.0 + 0.6 * y / 4.0, y / 4.0));
  const float r2 = ridge * ridge, r8 = r2 * r2 * r2 * r2;
  return {protein * (0.2f + 2.2f * blotch * blotch + 0.35f * r8), 0.015f + 0.03f * blotch};
}

}  // namespace

void paint_background(const FieldSpec& spec, uint64_t seed, DyePlanes& planes) {
  const double mpp = planes.microns_per_pixel;
  const float protein = spec.stain.background_protein;
  const uint64_t blotch_seed = hash_of(seed, 0xB10Cull), fibre_seed = hash_of(seed, 0xF1B4Eull);
  // Lattice nodes covering the planes: global pixels kStep * (lx0 .. lx0 + lw - 1).
  const int64_t lx0 = floor_div(planes.x0, kStep), ly0 = floor_div(planes.y0, kStep);
  const int64_t lx1 = floor_div(planes.x0 + planes.width - 1, kStep) + 1;
  const int64_t ly1 = floor_div(planes.y0 + planes.height - 1, kStep) + 1;
  const auto lw = static_cast<size_t>(lx1 - lx0 + 1), lh = static_cast<size_t>(ly1 - ly0 + 1);
  std::vector<Texture> lattice(lw * lh);
  for (size_t j = 0; j < lh; ++j) {
    const double y = (static_cast<double>((ly0 + static_cast<int64_t>(j)) * kStep) + 0.5) * mpp;
    for (size_t i = 0; i < lw; ++i) {
      const double x = (static_cast<double>((lx0 + static_cast<int64_t>(i)) * kStep) + 0.5) * mpp;
      lattice[j * lw + i] = texture_at(x, y, protein, blotch_seed, fibre_seed);
    }
  }
  for (int j = 0; j < planes.height; ++j) {
    const int64_t gy = planes.y0 + j;
    const int64_t ly = floor_div(gy, kStep);
    const float ty = static_cast<float>(gy - ly * kStep) / kStep;
    const Texture* row0 = &lattice[static_cast<size_t>(ly - ly0) * lw];
    const Texture* row1 = row0 + lw;
    for (int i = 0; i < planes.width; ++i) {
      const int64_t gx = planes.x0 + i;
      const int64_t lx = floor_div(gx, kStep);
      const float tx = static_cast<float>(gx - lx * kStep) / kStep;
      const size_t c = static_cast<size_t>(lx - lx0);
      const Texture a = row0[c], b = row0[c + 1], d = row1[c], e = row1[c + 1];
      const float top_s = a.safranin + (b.safranin - a.safranin) * tx;
      const float bottom_s = d.safranin + (e.safranin - d.safranin) * tx;
      const float top_n = a.neutral + (b.neutral - a.neutral) * tx;
      const float bottom_n = d.neutral + (e.neutral - d.neutral) * tx;
      const size_t k = static_cast<size_t>(j) * planes.width + i;
      planes.safranin[k] += top_s + (bottom_s - top_s) * ty;
      planes.neutral[k] += top_n + (bottom_n - top_n) * ty;
    }
  }
}

}  // namespace gramlite::data::synth::internal
