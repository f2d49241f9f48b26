// The int8 numerics every part of gramlite shares (quantizer, kernels, ONNX export), following the
// scheme TFLite, XNNPACK and ONNX QDQ have in common (docs/quantization.md):
//
//   real = scale * (q - zero_point)
//   activations: int8 asymmetric per tensor, q in [-128, 127], zero_point in [-128, 127]
//   weights:     int8 symmetric per output channel, zero_point 0, q in [-127, 127]
//   bias:        int32, scale = input scale * weight scale (per channel), zero_point 0
//
// Rounding to int8 is to nearest, ties to even (ONNX QuantizeLinear, XNNPACK). Requantizing an
// int32 accumulator uses a fixed-point multiplier and shift, rounding the exact product once: it
// is integer-only, so the same on every CPU, and equal to the float definition but for the
// multiplier's 31-bit precision.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace gramlite::ir {

inline constexpr int32_t kInt8Min = -128;
inline constexpr int32_t kInt8Max = 127;
inline constexpr int32_t kInt8WeightMax = 127;  // weights use [-127, 127]: symmetric, no -128

struct AffineQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Parameters covering [min, max] widened to include 0 (so that zero, padding, ReLU's floor, is
// exact). An empty or non-finite range gets scale 1, zero point 0... never a zero scale.
AffineQuant choose_activation_quant(float min, float max);

// Symmetric scale for a weight channel whose largest magnitude is `max_abs`: max_abs / (2^(bits-1)
// - 1). bits 7 leaves headroom for AVX2's saturating u8 x s8 pair sums (ONNX Runtime's
// reduce_range). A zero channel gets scale 1 (its values quantize to 0 either way).
float choose_weight_scale(float max_abs, int bits = 8);

// round_half_even(x / scale) + zero_point, saturated to [qmin, qmax]; x / scale in float32, as
// ONNX Runtime and TFLite compute QuantizeLinear.
int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin = kInt8Min, int32_t qmax = kInt8Max);
inline float dequantize_value(int32_t q, float scale, int32_t zero_point) {
  return scale * static_cast<float>(q - zero_point);
}

// A positive real multiplier as multiplier * 2^(shift - 31), multiplier in [2^30, 2^31).
// Multipliers below 2^-32 become {0, 0} (everything requantizes to the zero point); from 2^30 up,
// {INT32_MAX, 30} (about 2^30: any non-zero accumulator saturates int8 either way).
struct FixedPointMultiplier {
  int32_t multiplier = 0;
  int32_t shift = 0;  // > 0: left shift, < 0: right shift
};
FixedPointMultiplier quantize_multiplier(double real_multiplier);

// round(value * multiplier * 2^(shift - 31)), saturated to int32: the exact 64-bit product
// rounded once, to nearest with ties to even (as ONNX's QuantizeLinear and quantize_value round).
// Not gemmlowp's two roundings (a high multiply, then a rounding shift), which differ from the
// float definition by one LSB next to ties often enough to matter in deep int8 networks
// (docs/quantization.md, "Rounding"); like XNNPACK's and TFLite's single-rounding variants.
int32_t multiply_by_fixed_point(int32_t value, FixedPointMultiplier m);

// An int32 accumulator (already in units of input scale x weight scale) to int8:
// multiply_by_fixed_point(acc, m) + out_zero_point, clamped to [qmin, qmax].
inline int32_t requantize(int32_t acc, FixedPointMultiplier m, int32_t out_zero_point, int32_t qmin = kInt8Min,
                          int32_t qmax = kInt8Max) {
  int64_t q = int64_t{multiply_by_fixed_point(acc, m)} + out_zero_point;  // a saturated product + zp must not wrap
  q = q < qmin ? qmin : q;
  return static_cast<int32_t>(q > qmax ? qmax : q);
}

// The int8 range [qmin, qmax] a fused ReLU / ReLU6 (or none) leaves for an output with `quant`.
struct Int8Clamp {
  int32_t min = kInt8Min;
  int32_t max = kInt8Max;
};
Int8Clamp clamp_for_relu(const AffineQuant& out);
Int8Clamp clamp_for_relu6(const AffineQuant& out);

// The float range chosen for each activation tensor, by tensor name: what calibration (an
// observer over images) or quantization-aware training (moving averages) hands to the int8
// conversion (compress/quantize.h).
struct ActivationRange {
  float min = 0.0f;
  float max = 0.0f;
};
using ActivationRanges = std::map<std::string, ActivationRange>;

}  // namespace gramlite::ir
