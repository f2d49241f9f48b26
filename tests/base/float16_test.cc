// float -> half rounding: to nearest, ties to even, against exhaustive and hand-picked cases.
#include "base/float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace gramlite {
namespace {

float from_bits(uint32_t bits) {
  float f = 0.0f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

TEST(Float16, HandPickedValues) {
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);                    // largest finite half
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);                    // below the midpoint to 65536
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);                    // the midpoint: ties to even = infinity
  EXPECT_EQ(float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);       // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);       // half of it: tie, to even (0)
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -26)), 0x0001);       // 0.75 of it: up
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);       // 1.5: tie, to even (2)
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400);       // smallest normal
  EXPECT_EQ(float_to_half(std::ldexp(1023.5f, -24)), 0x0400);    // subnormal rounding up into the normals
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, to even
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, to even (up)
  EXPECT_EQ(float_to_half(from_bits(0x3f801001u)), 0x3c01);            // just above the tie
  const uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
}

// Every finite half converts back to itself, and every midpoint between neighbours goes to the one
// with an even mantissa (and a hair above it, to the upper one).
TEST(Float16, ExhaustiveRoundTripAndMidpoints) {
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const auto half = static_cast<uint16_t>(h | sign);
      const float value = half_to_float(half);
      ASSERT_EQ(float_to_half(value), half) << std::hex << half;
      if (h + 1 >= 0x7c00) continue;
      const float next = half_to_float(static_cast<uint16_t>((h + 1) | sign));
      const double mid = (static_cast<double>(value) + static_cast<double>(next)) / 2.0;
      const auto mid_f = static_cast<float>(mid);  // exact: halves have 11 significant bits
      ASSERT_EQ(static_cast<double>(mid_f), mid);
      const uint16_t even = (h & 1u) == 0 ? half : static_cast<uint16_t>((h + 1) | sign);
      ASSERT_EQ(float_to_half(mid_f), even) << std::hex << half;
      const float above = std::nextafter(mid_f, sign ? -INFINITY : INFINITY);
      ASSERT_EQ(float_to_half(above), static_cast<uint16_t>((h + 1) | sign)) << std::hex << half;
    }
  }
}

TEST(Float16, HalfToFloatKnownValues) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
}

}  // namespace
}  // namespace gramlite
