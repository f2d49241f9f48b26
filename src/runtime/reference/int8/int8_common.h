// What every int8 reference kernel checks and shares (docs/quantization.md, "The int8 graph"):
//
//  - activations (inputs and outputs) are int8 with one scale and one zero point;
//  - Conv2d / Linear weights are int8 constants, zero point 0, one scale per output channel
//    (axis 0) or one for the whole tensor; a bias is an int32 constant whose scales are input
//    scale x weight scale (so it adds straight into the accumulator);
//  - a fused None / ReLU / ReLU6 is a clamp of the int8 output.
//
// A tensor of another dtype makes the kernel decline (kUnsupported: another kernel may run the
// node); broken quantization parameters are an error (kInvalidArgument) naming the tensor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gramlite/ir/quantization.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference::int8 {

// The per-tensor parameters of an int8 activation `desc`; `role` ("input", "output", ...) names it.
Result<ir::AffineQuant> activation_quant(const TensorDesc& desc, const char* role);

// Checks that input 0 and output 0 of `context` are int8 activations and returns their params.
struct InOutQuant {
  ir::AffineQuant in;
  ir::AffineQuant out;
};
Result<InOutQuant> unary_quant(const KernelContext& context);

// The int8 weight of a Conv2d / Linear (node input 1, `channels` output channels along axis 0):
// one scale per channel (a per-tensor scale is repeated).
Result<std::vector<float>> weight_scales(const TensorDesc& weight, int64_t channels);

// Checks the optional int32 bias (node input 2) against input scale x weight scales[c].
Status check_bias(const TensorDesc& bias, const ir::AffineQuant& input, const std::vector<float>& weight_scales);

// The output clamp of a fused activation: None, ReLU, ReLU6 (others decline: the quantizer splits
// them into an op plus a lookup-table node).
Result<ir::Int8Clamp> fused_clamp(const ir::Node& node, const ir::AffineQuant& out);

// The quantization side of an int8 weight layer (Conv2d, Linear), checked and planned once: input
// and output parameters, one requantization multiplier s_x * s_w[c] / s_y per output channel, the
// fused clamp, and whether an int32 bias (checked against s_x * s_w) is present.
struct WeightLayerQuant {
  ir::AffineQuant x;
  ir::AffineQuant y;
  std::vector<ir::FixedPointMultiplier> multipliers;
  ir::Int8Clamp clamp;
  bool has_bias = false;
};
Result<WeightLayerQuant> plan_weight_layer_quant(const KernelContext& context, int64_t out_channels);

// Whether two activations' params are the same (a copy needs no rescale).
inline bool same_quant(const ir::AffineQuant& a, const ir::AffineQuant& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

// clamp(z_out + round(v * multiplier), lo, hi) for a small integer v: a difference q - z, a pool's
// sum, a product of two differences. (ir::multiply_by_fixed_point rounds the exact product once,
// so no headroom tricks are needed for small v.)
inline int32_t requantize_small(int32_t v, ir::FixedPointMultiplier m, int32_t out_zero_point, ir::Int8Clamp clamp = {}) {
  return ir::requantize(v, m, out_zero_point, clamp.min, clamp.max);
}

// in_scale / out_scale for rescaling (q - z_in) (|q - z_in| <= 255) to the output's units.
inline ir::FixedPointMultiplier rescale_multiplier(const ir::AffineQuant& in, const ir::AffineQuant& out) {
  return ir::quantize_multiplier(static_cast<double>(in.scale) / static_cast<double>(out.scale));
}

// q_out = clamp(z_out + round((q - z_in) * in_scale / out_scale), lo, hi): one requantization.
inline int8_t rescale(int32_t q, const ir::AffineQuant& in, ir::FixedPointMultiplier m, const ir::AffineQuant& out,
                      ir::Int8Clamp clamp = {}) {
  return static_cast<int8_t>(requantize_small(q - in.zero_point, m, out.zero_point, clamp));
}

// An exact (int64) accumulator saturated to int32, as Conv2d and Linear requantize it.
inline int32_t saturate_to_int32(int64_t acc) {
  return static_cast<int32_t>(std::clamp<int64_t>(acc, INT32_MIN, INT32_MAX));
}

inline const int8_t* input_s8(const KernelIo& io, size_t index) { return static_cast<const int8_t*>(io.inputs[index]); }
inline int8_t* output_s8(const KernelIo& io, size_t index) { return static_cast<int8_t*>(io.outputs[index]); }

}  // namespace gramlite::runtime::reference::int8
