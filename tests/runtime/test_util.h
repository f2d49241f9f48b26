// Helpers shared by the runtime tests: deterministic random data and tolerant comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gramlite::runtime::testing {

// Uniform values in [low, high) from a fixed seed.
inline std::vector<float> random_floats(size_t count, uint32_t seed, float low = -1.0f, float high = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

// Passes when |actual - expected| <= atol + rtol * |expected| everywhere (NaN matches NaN);
// otherwise reports the first mismatch and the largest error.
inline ::testing::AssertionResult all_close(const std::vector<float>& actual, const std::vector<float>& expected,
                                            double atol, double rtol = 0.0) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << "size " << actual.size() << " != expected size " << expected.size();
  }
  size_t bad = 0, first_bad = 0;
  double worst = 0.0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i];
    if (std::isnan(a) && std::isnan(e)) continue;
    if (std::isinf(a) && a == e) continue;
    const double err = std::fabs(a - e);
    if (!(err <= atol + rtol * std::fabs(e))) {
      if (bad == 0) first_bad = i;
      ++bad;
    }
    if (err > worst || std::isnan(err)) worst = err;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.size() << " values differ; first at " << first_bad
                                       << ": " << actual[first_bad] << " vs expected " << expected[first_bad]
                                       << "; largest error " << worst << " (atol " << atol << ", rtol " << rtol << ")";
}

}  // namespace gramlite::runtime::testing
