// Integer arithmetic that reports overflow instead of invoking undefined behaviour. Shapes come
// from files and flags (trust boundaries), so every product of dimensions goes through these.
#pragma once

#include <cstdint>
#include <limits>

namespace gramlite {

// Stores a * b in *out and returns true, or returns false if the product overflows int64.
inline bool checked_mul(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }
inline bool checked_add(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

// a * b, clamped to the int64 range (for statistics such as MAC counts, where a huge value is
// still the right answer to print).
inline int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t out;
  if (checked_mul(a, b, &out)) return out;
  return ((a < 0) != (b < 0)) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

}  // namespace gramlite
