// ir/quantization.h against hand-computed cases (ties, saturation at both ends, NaN, degenerate
// ranges, multiplier carries) and multiply_by_fixed_point against the exactly rounded product
// (ties to even) on many random, extreme and tie-producing values: bit-exact.
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

// round(value * multiplier * 2^(shift - 31)) from the definition: the quotient and remainder of
// the exact product (|value * multiplier| < 2^62 fits int64) by 2^(31 - shift), rounded to nearest
// with ties to even, saturated to int32.
int64_t exact_half_even(int32_t value, FixedPointMultiplier m) {
  if (m.multiplier == 0) return 0;
  const int64_t product = static_cast<int64_t>(value) * m.multiplier;
  const int right = 31 - std::min(m.shift, 30);
  if (right > 62) return 0;  // |product| < 2^62 <= half of 2^right
  const int64_t one = int64_t{1} << right;
  const int64_t magnitude = product < 0 ? -product : product;
  int64_t whole = magnitude / one;
  const int64_t rest = magnitude % one;
  if (rest > one / 2 || (rest == one / 2 && whole % 2 == 1)) ++whole;
  return std::clamp<int64_t>(product < 0 ? -whole : whole, kMin, kMax);
}

TEST(MultiplyByFixedPoint, RoundsTheExactProductOnceTiesToEven) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  std::uniform_int_distribution<int32_t> small(-70000, 70000);
  std::uniform_int_distribution<int32_t> mantissa(1 << 30, kMax);
  std::uniform_int_distribution<int32_t> shift(-40, 8);
  const int32_t specials[] = {kMin, kMin + 1, -65536, -3, -2, -1, 0, 1, 2, 3, 65536, kMax - 1, kMax};
  const int32_t special_multipliers[] = {1 << 30, (1 << 30) + 1, 1610612736, kMax};
  size_t checked = 0;
  auto check = [&](int32_t value, FixedPointMultiplier m) {
    ASSERT_EQ(multiply_by_fixed_point(value, m), exact_half_even(value, m))
        << value << " * " << m.multiplier << " shift " << m.shift;
    ++checked;
  };
  for (int32_t v : specials) {
    for (int32_t mult : special_multipliers) {
      for (int32_t s : {-40, -32, -31, -20, -1, 0, 1, 5, 30}) check(v, {mult, s});
    }
  }
  for (int i = 0; i < 200000; ++i) {
    const int32_t value = i % 2 == 0 ? any(rng) : small(rng);
    check(value, {mantissa(rng), shift(rng)});
  }
  // Every tie: small values times multipliers 2^-k (mantissa 2^30), where ties are frequent.
  for (int32_t value = -4096; value <= 4096; ++value) {
    for (int32_t s = -12; s <= 0; ++s) check(value, {1 << 30, s});
  }
  EXPECT_GT(checked, 300000u);
  // Hand cases: ties go to the even neighbour (45 * 0.5 = 22.5 -> 22, -22.5 -> -22, 1.5 -> 2,
  // -1.5 -> -2, 2.5 -> 2), others to the nearest (5 * 0.25 = 1.25 -> 1: gemmlowp's two roundings
  // gave 2 here; 7 * 0.25 = 1.75 -> 2).
  EXPECT_EQ(multiply_by_fixed_point(45, quantize_multiplier(0.5)), 22);
  EXPECT_EQ(multiply_by_fixed_point(-45, quantize_multiplier(0.5)), -22);
  EXPECT_EQ(multiply_by_fixed_point(5, quantize_multiplier(0.5)), 2);
  EXPECT_EQ(multiply_by_fixed_point(5, quantize_multiplier(0.25)), 1);
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
