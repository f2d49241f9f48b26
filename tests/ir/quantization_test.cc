// ir/quantization.h against hand-computed cases (ties, saturation at both ends, NaN, degenerate
// ranges, multiplier carries) and multiply_by_fixed_point against two exact integer oracles (64 bits hold every product of two int32) on many
// random and extreme values: an exact model of gemmlowp's two roundings (bit-exact), and the
// exactly rounded real product (at most one off, and only next to a tie).
#include "gramlite/ir/quantization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace gramlite::ir {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

TEST(QuantizeValue, RoundsTiesToEven) {
  EXPECT_EQ(quantize_value(0.5f, 1.0f, 0), 0);
  EXPECT_EQ(quantize_value(1.5f, 1.0f, 0), 2);
  EXPECT_EQ(quantize_value(2.5f, 1.0f, 0), 2);
  EXPECT_EQ(quantize_value(-0.5f, 1.0f, 0), 0);
  EXPECT_EQ(quantize_value(-1.5f, 1.0f, 0), -2);
  EXPECT_EQ(quantize_value(-2.5f, 1.0f, 0), -2);
  EXPECT_EQ(quantize_value(0.51f, 1.0f, 0), 1);
  // x / scale is computed in double: 0.3 / 0.1 is 3 (not 2.9999 truncated).
  EXPECT_EQ(quantize_value(0.3f, 0.1f, 0), 3);
  // The zero point is added after rounding: 0.25 / 0.5 = 0.5 -> 0 (even), + 7.
  EXPECT_EQ(quantize_value(0.25f, 0.5f, 7), 7);
  EXPECT_EQ(quantize_value(0.75f, 0.5f, 7), 9);  // 1.5 -> 2
}

TEST(QuantizeValue, SaturatesAtBothEndsAndMapsNanToTheZeroPoint) {
  EXPECT_EQ(quantize_value(127.0f, 1.0f, 0), 127);
  EXPECT_EQ(quantize_value(127.5f, 1.0f, 0), 127);  // 128 (even) saturates
  EXPECT_EQ(quantize_value(1e30f, 1.0f, 0), 127);
  EXPECT_EQ(quantize_value(-128.0f, 1.0f, 0), -128);
  EXPECT_EQ(quantize_value(-129.0f, 1.0f, 0), -128);
  EXPECT_EQ(quantize_value(-1e30f, 1e-30f, 0), -128);  // far beyond int32 before the clamp
  EXPECT_EQ(quantize_value(std::numeric_limits<float>::infinity(), 1.0f, 0), 127);
  EXPECT_EQ(quantize_value(-std::numeric_limits<float>::infinity(), 1.0f, 0), -128);
  EXPECT_EQ(quantize_value(std::nanf(""), 1.0f, 5), 5);
  EXPECT_EQ(quantize_value(std::nanf(""), 1.0f, 5, -3, 3), 3);  // the zero point, clamped
  // Other ranges: weights [-127, 127], int32 bias.
  EXPECT_EQ(quantize_value(-200.0f, 1.0f, 0, -kInt8WeightMax, kInt8WeightMax), -127);
  EXPECT_EQ(quantize_value(3e9f, 1.0f, 0, kMin, kMax), kMax);
  EXPECT_EQ(quantize_value(-3e9f, 1.0f, 0, kMin, kMax), kMin);
  EXPECT_FLOAT_EQ(dequantize_value(-128, 0.5f, 2), -65.0f);
}

TEST(ChooseActivationQuant, KeepsZeroExact) {
  // [-1, 1]: scale 2/255, zero point round(-128 + 127.5) = round(-0.5) = 0 (ties to even).
  const AffineQuant symmetric = choose_activation_quant(-1.0f, 1.0f);
  EXPECT_FLOAT_EQ(symmetric.scale, 2.0f / 255.0f);
  EXPECT_EQ(symmetric.zero_point, 0);
  // All positive: the range is widened to [0, max], so 0 sits at -128.
  const AffineQuant positive = choose_activation_quant(2.0f, 5.1f);
  EXPECT_FLOAT_EQ(positive.scale, 5.1f / 255.0f);
  EXPECT_EQ(positive.zero_point, -128);
  const AffineQuant relu6 = choose_activation_quant(0.0f, 6.0f);
  EXPECT_EQ(relu6.zero_point, -128);
  EXPECT_EQ(quantize_value(6.0f, relu6.scale, relu6.zero_point), 127);
  // All negative: [min, 0], 0 at 127.
  const AffineQuant negative = choose_activation_quant(-5.0f, -1.0f);
  EXPECT_FLOAT_EQ(negative.scale, 5.0f / 255.0f);
  EXPECT_EQ(negative.zero_point, 127);
  // Random ranges: real 0 is exactly q = zero point, both ends are within the int8 range.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-50.0f, 50.0f);
  for (int i = 0; i < 2000; ++i) {
    float lo = dist(rng), hi = dist(rng);
    if (lo > hi) std::swap(lo, hi);
    const AffineQuant q = choose_activation_quant(lo, hi);
    ASSERT_GT(q.scale, 0.0f);
    ASSERT_GE(q.zero_point, kInt8Min);
    ASSERT_LE(q.zero_point, kInt8Max);
    EXPECT_EQ(dequantize_value(q.zero_point, q.scale, q.zero_point), 0.0f);
    EXPECT_EQ(quantize_value(0.0f, q.scale, q.zero_point), q.zero_point);
    // The range's ends quantize to within one step of -128 and 127 (the zero point's rounding).
    EXPECT_LE(quantize_value(std::min(lo, 0.0f), q.scale, q.zero_point), kInt8Min + 1);
    EXPECT_GE(quantize_value(std::max(hi, 0.0f), q.scale, q.zero_point), kInt8Max - 1);
  }
}

TEST(ChooseActivationQuant, DegenerateRangesGetScaleOne) {
  for (const auto& [lo, hi] : {std::pair{0.0f, 0.0f}, std::pair{1.0f, -1.0f}, std::pair{std::nanf(""), 1.0f},
                               std::pair{0.0f, std::numeric_limits<float>::infinity()},
                               std::pair{-std::numeric_limits<float>::infinity(), 0.0f}}) {
    const AffineQuant q = choose_activation_quant(lo, hi);
    EXPECT_EQ(q.scale, 1.0f) << lo << " " << hi;
    EXPECT_EQ(q.zero_point, 0) << lo << " " << hi;
  }
  // A single non-zero value is a real range once 0 is included.
  EXPECT_FLOAT_EQ(choose_activation_quant(3.0f, 3.0f).scale, 3.0f / 255.0f);
  // A denormal-sized range still gets a positive scale.
  EXPECT_GT(choose_activation_quant(0.0f, 1e-38f).scale, 0.0f);
}

TEST(ChooseWeightScale, EightAndSevenBits) {
  EXPECT_FLOAT_EQ(choose_weight_scale(127.0f), 1.0f);
  EXPECT_FLOAT_EQ(choose_weight_scale(127.0f, 8), 1.0f);
  EXPECT_FLOAT_EQ(choose_weight_scale(63.0f, 7), 1.0f);
  EXPECT_FLOAT_EQ(choose_weight_scale(1.0f, 8), 1.0f / 127.0f);
  EXPECT_FLOAT_EQ(choose_weight_scale(1.0f, 7), 1.0f / 63.0f);
  EXPECT_EQ(choose_weight_scale(0.0f), 1.0f);
  EXPECT_EQ(choose_weight_scale(-1.0f), 1.0f);
  EXPECT_EQ(choose_weight_scale(std::nanf("")), 1.0f);
  EXPECT_EQ(choose_weight_scale(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_GT(choose_weight_scale(1e-44f), 0.0f);  // a denormal max never gives scale 0
  // The largest weight maps to exactly +-127 (8 bits) or +-63 (7 bits).
  const float s8 = choose_weight_scale(0.37f, 8), s7 = choose_weight_scale(0.37f, 7);
  EXPECT_EQ(quantize_value(0.37f, s8, 0, -127, 127), 127);
  EXPECT_EQ(quantize_value(-0.37f, s7, 0, -127, 127), -63);
}

TEST(QuantizeMultiplier, HandComputedCases) {
  auto expect = [](double real, int32_t multiplier, int32_t shift) {
    const FixedPointMultiplier m = quantize_multiplier(real);
    EXPECT_EQ(m.multiplier, multiplier) << real;
    EXPECT_EQ(m.shift, shift) << real;
  };
  expect(0.5, 1 << 30, 0);
  expect(1.0, 1 << 30, 1);
  expect(0.75, 1610612736, 0);  // 0.75 * 2^31
  expect(0.25, 1 << 30, -1);
  expect(3.0, 1610612736, 2);
  expect(std::ldexp(1.0, -31), 1 << 30, -30);
  expect(std::ldexp(1.0, -32), 1 << 30, -31);  // the smallest kept: a right shift of 31
  expect(std::ldexp(1.0, -33), 0, 0);          // below: everything requantizes to the zero point
  expect(0.0, 0, 0);
  expect(-0.5, 0, 0);
  expect(std::nan(""), 0, 0);
  expect(std::numeric_limits<double>::infinity(), 0, 0);
  expect(std::ldexp(1.0, 40), kMax, 30);  // saturates anyway
  // Rounding the mantissa up to 2^31 carries into the exponent.
  expect(1.0 - 0.4 * std::ldexp(1.0, -31), 1 << 30, 1);
  expect(0.5 - 0.2 * std::ldexp(1.0, -31), 1 << 30, 0);
  // Just below the carry: the largest mantissa.
  expect(1.0 - 0.6 * std::ldexp(1.0, -31), kMax, 0);
  // Every multiplier is in [2^30, 2^31) and represents the real within 2^-31 relative.
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> exponent(-30.0, 8.0);
  for (int i = 0; i < 10000; ++i) {
    const double real = std::pow(2.0, exponent(rng));
    const FixedPointMultiplier m = quantize_multiplier(real);
    ASSERT_GE(m.multiplier, 1 << 30);
    const double back = std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
    EXPECT_LE(std::fabs(back - real), real * std::ldexp(1.0, -31)) << real;
  }
}

// gemmlowp's two roundings, modelled with 64-bit integers (every product of two int32 fits) from
// their definitions:
//   high = round(value * m / 2^31), ties toward +infinity (SaturatingRoundingDoublingHighMul's
//          nudge; its one overflow, INT32_MIN * INT32_MIN, cannot happen: m > 0);
//   result = round(high / 2^r), ties away from zero (RoundingDivideByPOT), for shift = -r <= 0.
// For shift > 0 (a multiplier >= 1): round(value * m * 2^shift / 2^31), ties up, saturated to
// int32 (gemmlowp shifts value left first, which is the same wherever that does not overflow).
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); }
int32_t gemmlowp_model(int32_t value, FixedPointMultiplier m) {
  if (m.multiplier == 0) return 0;
  const int64_t product = static_cast<int64_t>(value) * m.multiplier;
  if (m.shift > 0) {
    const int64_t one = int64_t{1} << (31 - m.shift);
    const int64_t high = floor_div(product + one / 2, one);
    return static_cast<int32_t>(std::clamp<int64_t>(high, kMin, kMax));
  }
  const int64_t two31 = int64_t{1} << 31;
  const int64_t high = floor_div(product + two31 / 2, two31);
  const int right = -m.shift;
  if (right == 0) return static_cast<int32_t>(high);
  const int64_t divisor = int64_t{1} << right;
  const int64_t magnitude = high < 0 ? -high : high;
  const int64_t rounded = (magnitude + divisor / 2) / divisor;  // half away from zero
  return static_cast<int32_t>(high < 0 ? -rounded : rounded);
}

// round(value * multiplier * 2^(shift - 31)) exactly, ties away from zero, and how far the exact
// product lies from a tie, in output units.
struct Exact {
  int64_t rounded;
  long double distance_to_tie;
};
Exact exact_product(int32_t value, FixedPointMultiplier m) {
  const int total_right = 31 - m.shift;  // >= 1 for shift <= 30
  const int64_t product = static_cast<int64_t>(value) * m.multiplier;
  const int64_t magnitude = product < 0 ? -product : product;
  const int64_t one = static_cast<int64_t>(1) << total_right;
  const int64_t whole = magnitude / one, rest = magnitude % one;
  const int64_t rounded = whole + (2 * rest >= one ? 1 : 0);
  const long double fraction = static_cast<long double>(rest) / static_cast<long double>(one);
  return {static_cast<int64_t>(product < 0 ? -rounded : rounded), std::fabs(fraction - 0.5L)};
}

TEST(MultiplyByFixedPoint, MatchesTheTwoRoundingModelAndTheExactProduct) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  std::uniform_int_distribution<int32_t> small(-70000, 70000);
  std::uniform_int_distribution<int32_t> mantissa(1 << 30, kMax);
  std::uniform_int_distribution<int32_t> shift(-31, 8);
  const int32_t specials[] = {kMin, kMin + 1, -65536, -3, -2, -1, 0, 1, 2, 3, 65536, kMax - 1, kMax};
  const int32_t special_multipliers[] = {1 << 30, (1 << 30) + 1, 1610612736, kMax};
  size_t checked = 0, off_by_one = 0;
  auto check = [&](int32_t value, FixedPointMultiplier m) {
    const int32_t actual = multiply_by_fixed_point(value, m);
    ASSERT_EQ(actual, gemmlowp_model(value, m)) << value << " * " << m.multiplier << " shift " << m.shift;
    if (m.shift <= 0) {
      const Exact exact = exact_product(value, m);
      const int64_t diff = actual - exact.rounded;
      ASSERT_LE(std::llabs(diff), 1) << value << " * " << m.multiplier << " shift " << m.shift;
      if (diff != 0) {
        ++off_by_one;
        // Only where the first rounding (half a unit of 2^shift output units) can cross a tie.
        EXPECT_LE(exact.distance_to_tie, std::ldexp(0.5L, m.shift) + 1e-12L) << value << " " << m.multiplier;
      }
    }
    ++checked;
  };
  for (int32_t v : specials) {
    for (int32_t mult : special_multipliers) {
      for (int32_t s : {-31, -20, -1, 0, 1, 5, 30}) check(v, {mult, s});
    }
  }
  for (int i = 0; i < 200000; ++i) {
    const int32_t value = i % 2 == 0 ? any(rng) : small(rng);
    check(value, {mantissa(rng), shift(rng)});
  }
  EXPECT_GT(checked, 200000u);
  EXPECT_GT(off_by_one, 0u);  // the double rounding does occur (mostly for shifts -1 and -2)
  EXPECT_LT(off_by_one, checked / 20);
  // Hand cases: 45 * 0.5 = 22.5 -> 23, -45 * 0.5 = -22.5 -> -22 (the high multiply's ties go up),
  // and through a right shift: 6 * 0.25 = 1.5 -> 2, -6 * 0.25 -> -2, 7 * 0.25 = 1.75 -> 2; but
  // 5 * 0.25 = 1.25 -> 2, not 1: the high multiply rounds 2.5 to 3, then 3 / 2 = 1.5 rounds to 2
  // (the double rounding the kernels' tests allow one LSB for).
  EXPECT_EQ(multiply_by_fixed_point(45, quantize_multiplier(0.5)), 23);
  EXPECT_EQ(multiply_by_fixed_point(-45, quantize_multiplier(0.5)), -22);
  EXPECT_EQ(multiply_by_fixed_point(5, quantize_multiplier(0.25)), 2);
  EXPECT_EQ(multiply_by_fixed_point(7, quantize_multiplier(0.25)), 2);
  EXPECT_EQ(multiply_by_fixed_point(6, quantize_multiplier(0.25)), 2);
  EXPECT_EQ(multiply_by_fixed_point(-6, quantize_multiplier(0.25)), -2);
  EXPECT_EQ(multiply_by_fixed_point(1000, quantize_multiplier(1.0)), 1000);  // identity
  EXPECT_EQ(multiply_by_fixed_point(kMax, quantize_multiplier(1.0)), kMax);
  EXPECT_EQ(multiply_by_fixed_point(kMin, quantize_multiplier(1.0)), kMin);
  EXPECT_EQ(multiply_by_fixed_point(kMax, quantize_multiplier(4.0)), kMax);  // saturates, no wrap
  EXPECT_EQ(multiply_by_fixed_point(kMin, quantize_multiplier(4.0)), kMin);
  EXPECT_EQ(multiply_by_fixed_point(12345, {}), 0);
}

TEST(Requantize, AddsTheZeroPointAndClamps) {
  const FixedPointMultiplier half = quantize_multiplier(0.5);
  EXPECT_EQ(requantize(20, half, 3), 13);
  EXPECT_EQ(requantize(1000, half, 0), 127);
  EXPECT_EQ(requantize(-1000, half, 0), -128);
  EXPECT_EQ(requantize(240, half, 10), 127);    // 120 + 10 saturates
  EXPECT_EQ(requantize(-240, half, -10), -128);  // -120 - 10 saturates
  EXPECT_EQ(requantize(kMax, half, 0), 127);
  EXPECT_EQ(requantize(kMin, half, 0), -128);
  EXPECT_EQ(requantize(kMax, quantize_multiplier(8.0), 127), 127);  // no overflow in the sum
  EXPECT_EQ(requantize(-100, half, 0, -20, 20), -20);  // a fused ReLU's / ReLU6's clamp
  EXPECT_EQ(requantize(100, half, 0, -20, 20), 20);
}

TEST(ClampForRelu, ZeroAndSixInTheOutputsUnits) {
  const AffineQuant out{0.1f, -50};
  EXPECT_EQ(clamp_for_relu(out).min, -50);
  EXPECT_EQ(clamp_for_relu(out).max, 127);
  EXPECT_EQ(clamp_for_relu6(out).min, -50);
  EXPECT_EQ(clamp_for_relu6(out).max, 10);  // 6 / 0.1 - 50
  const AffineQuant wide{0.01f, 0};
  EXPECT_EQ(clamp_for_relu6(wide).max, 127);  // 600 saturates
}

}  // namespace
}  // namespace gramlite::ir
