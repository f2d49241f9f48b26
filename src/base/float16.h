// IEEE 754 binary16 from binary32, rounded to nearest, ties to even (what F16C's vcvtps2ph does
// with its default rounding and what numpy's float16 cast gives).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gramlite {

// Overflow gives infinity, values below half the smallest subnormal give a signed zero, NaN stays
// NaN (quiet, sign kept).
uint16_t float_to_half(float value);
// float_to_half over `count` values.
void floats_to_half(const float* values, size_t count, uint16_t* half);
float half_to_float(uint16_t half);

}  // namespace gramlite
