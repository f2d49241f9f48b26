#include "gramlite/data/dataset/stain_jitter.h"

#include <algorithm>
#include <cmath>

namespace gramlite::data {
namespace {

using Vec3 = std::array<float, 3>;

Vec3 normalized(Vec3 v) {
  const float norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / norm, v[1] / norm, v[2] / norm};
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

// The stain matrix (rows: crystal violet, safranin, residual) and its inverse, built once.
struct StainBasis {
  float m[3][3];
  float inverse[3][3];
  float od_of_value[256];  // OD of an 8-bit value, with I0 = 256 and I = value + 1 (no log of 0)

  StainBasis() {
    const Vec3 rows[3] = {crystal_violet_od_vector(), safranin_od_vector(),
                          normalized(cross(crystal_violet_od_vector(), safranin_od_vector()))};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) m[r][c] = rows[r][c];
    // Inverse by cofactors, in double: the matrix is well conditioned (the residual is orthogonal).
    double cof[3][3];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        const int r1 = (r + 1) % 3, r2 = (r + 2) % 3, c1 = (c + 1) % 3, c2 = (c + 2) % 3;
        cof[r][c] = static_cast<double>(m[r1][c1]) * m[r2][c2] - static_cast<double>(m[r1][c2]) * m[r2][c1];
      }
    }
    const double det = m[0][0] * cof[0][0] + m[0][1] * cof[0][1] + m[0][2] * cof[0][2];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) inverse[r][c] = static_cast<float>(cof[c][r] / det);
    for (int v = 0; v < 256; ++v) od_of_value[v] = static_cast<float>(-std::log10((v + 1) / 256.0));
  }
};

const StainBasis& basis() {
  static const StainBasis instance;
  return instance;
}

// concentrations = od * M^-1 (od as a row vector).
Vec3 to_concentrations(const StainBasis& b, const Vec3& od) {
  Vec3 c{};
  for (int j = 0; j < 3; ++j) c[j] = od[0] * b.inverse[0][j] + od[1] * b.inverse[1][j] + od[2] * b.inverse[2][j];
  return c;
}

}  // namespace

// Kept equal to src/data/synth/stain_style.h's crystal_violet_od and safranin_od (not linked:
// the generator is an optional part).
std::array<float, 3> crystal_violet_od_vector() { return normalized({0.62f, 1.0f, 0.38f}); }
std::array<float, 3> safranin_od_vector() { return normalized({0.10f, 1.0f, 0.62f}); }

std::array<float, 2> stain_concentrations(uint8_t r, uint8_t g, uint8_t b) {
  const StainBasis& sb = basis();
  const Vec3 c = to_concentrations(sb, {sb.od_of_value[r], sb.od_of_value[g], sb.od_of_value[b]});
  return {c[0], c[1]};
}

void apply_stain_factors(RgbImage& image, const StainFactors& factors) {
  const StainBasis& b = basis();
  constexpr float kLn10 = 2.302585093f;
  const size_t pixels = image.pixels.size() / 3;
  for (size_t i = 0; i < pixels; ++i) {
    uint8_t* p = &image.pixels[i * 3];
    Vec3 c = to_concentrations(b, {b.od_of_value[p[0]], b.od_of_value[p[1]], b.od_of_value[p[2]]});
    c[0] = c[0] * factors.scale[0] + factors.shift[0];
    c[1] = c[1] * factors.scale[1] + factors.shift[1];
    for (int ch = 0; ch < 3; ++ch) {
      const float od = c[0] * b.m[0][ch] + c[1] * b.m[1][ch] + c[2] * b.m[2][ch];
      const float value = 256.0f * std::exp(-od * kLn10) - 1.0f;
      p[ch] = static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
    }
  }
}

}  // namespace gramlite::data
