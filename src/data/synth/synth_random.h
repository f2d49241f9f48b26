// Coordinate-hashed randomness for the synthetic generator.
//
// Every random choice in a rendered field is a pure function of (seed, what, where): object
// placement hashes (seed, layer, cell x, cell y); texture and sensor noise hash (seed, pixel x,
// pixel y). No RNG stream is shared between tiles, which is what makes tile-by-tile rendering of a
// slide seamless and the output independent of thread count or render order.
#pragma once

#include <cmath>
#include <cstdint>

namespace gramlite::data::synth {

// splitmix64's finaliser: a bijective 64-bit mixer with good avalanche.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash_of(uint64_t a) { return mix64(a); }
template <typename... Rest>
uint64_t hash_of(uint64_t a, uint64_t b, Rest... rest) {
  return hash_of(mix64(a) ^ (b * 0xD6E8FEB86659FD93ull), static_cast<uint64_t>(rest)...);
}

// [0, 1) from the top 24 bits: exact in float, identical everywhere.
inline float unit_float(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }

// A small sequential generator for choices inside one cell (seeded from a hash, so still local).
class CellRng {
 public:
  explicit CellRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix64(state_);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  int uniform_int(int lo, int hi_inclusive) {
    return lo + static_cast<int>(next() % static_cast<uint64_t>(hi_inclusive - lo + 1));
  }
  double normal() {  // Box-Muller; one value per call keeps the stream simple.
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  int poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 30) {
      const double v = std::floor(lambda + std::sqrt(lambda) * normal() + 0.5);
      return v < 0 ? 0 : static_cast<int>(v);
    }
    const double limit = std::exp(-lambda);
    int k = 0;
    double p = uniform();
    while (p > limit) {
      ++k;
      p *= uniform();
    }
    return k;
  }

 private:
  uint64_t state_;
};

// Smooth value noise in [0, 1] on a unit lattice: corners hashed from (seed, ix, iy), blended with
// a quintic fade. x, y are in lattice units of the caller's choosing (global, never tile-local).
inline float value_noise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const float tx = static_cast<float>(x - fx), ty = static_cast<float>(y - fy);
  auto corner = [&](int64_t cx, int64_t cy) {
    return unit_float(hash_of(seed, static_cast<uint64_t>(cx), static_cast<uint64_t>(cy)));
  };
  const float sx = tx * tx * tx * (tx * (tx * 6 - 15) + 10);
  const float sy = ty * ty * ty * (ty * (ty * 6 - 15) + 10);
  const float a = corner(ix, iy), b = corner(ix + 1, iy), c = corner(ix, iy + 1), d = corner(ix + 1, iy + 1);
  const float top = a + (b - a) * sx, bottom = c + (d - c) * sx;
  return top + (bottom - top) * sy;
}

// Perlin gradient noise, about [-1, 1] (0 at lattice points): no axis-aligned ridges, unlike value
// noise, so ridged transforms of it look like fibres rather than city blocks.
inline float gradient_noise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const float tx = static_cast<float>(x - fx), ty = static_cast<float>(y - fy);
  auto dot = [&](int64_t cx, int64_t cy, float dx, float dy) {
    // One of 16 unit gradients, chosen by hash (a table keeps it exact and cheap).
    static constexpr float kGx[16] = {1.0f, 0.9239f, 0.7071f, 0.3827f, 0.0f, -0.3827f, -0.7071f, -0.9239f,
                                      -1.0f, -0.9239f, -0.7071f, -0.3827f, 0.0f, 0.3827f, 0.7071f, 0.9239f};
    const uint64_t h = hash_of(seed, static_cast<uint64_t>(cx), static_cast<uint64_t>(cy)) >> 60;
    return kGx[h] * dx + kGx[(h + 4) & 15] * dy;
  };
  const float sx = tx * tx * tx * (tx * (tx * 6 - 15) + 10);
  const float sy = ty * ty * ty * (ty * (ty * 6 - 15) + 10);
  const float a = dot(ix, iy, tx, ty), b = dot(ix + 1, iy, tx - 1, ty);
  const float c = dot(ix, iy + 1, tx, ty - 1), d = dot(ix + 1, iy + 1, tx - 1, ty - 1);
  const float top = a + (b - a) * sx, bottom = c + (d - c) * sx;
  return 1.4142f * (top + (bottom - top) * sy);
}

// Fractal sum of gradient-noise octaves mapped to [0, 1]; each octave is rotated (by ~37 degrees
// more than the last) so lattice directions do not line up across octaves.
inline float fractal_gradient_noise(uint64_t seed, double x, double y, double scale, int octaves) {
  float sum = 0, norm = 0, amplitude = 1;
  double frequency = 1.0 / scale;
  double c = 1.0, s = 0.0;
  for (int o = 0; o < octaves; ++o) {
    const double rx = c * x - s * y, ry = s * x + c * y;
    sum += amplitude * gradient_noise(hash_of(seed, static_cast<uint64_t>(o)), rx * frequency, ry * frequency);
    norm += amplitude;
    amplitude *= 0.5f;
    frequency *= 2.0;
    const double nc = c * 0.8 - s * 0.6, ns = s * 0.8 + c * 0.6;  // rotate by atan(0.6 / 0.8)
    c = nc;
    s = ns;
  }
  const float v = 0.5f + 0.5f * sum / norm;
  return v < 0 ? 0 : (v > 1 ? 1 : v);
}

// Fractal sum of octaves, normalised to [0, 1]; `scale` is the coarsest feature size in the caller's
// units (each octave halves it).
inline float fractal_noise(uint64_t seed, double x, double y, double scale, int octaves) {
  float sum = 0, norm = 0, amplitude = 1;
  double frequency = 1.0 / scale;
  for (int o = 0; o < octaves; ++o) {
    sum += amplitude * value_noise(hash_of(seed, static_cast<uint64_t>(o)), x * frequency, y * frequency);
    norm += amplitude;
    amplitude *= 0.5f;
    frequency *= 2.0;
  }
  return sum / norm;
}

}  // namespace gramlite::data::synth
