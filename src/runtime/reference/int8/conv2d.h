// Conv2d, int8 (incl. depthwise and grouped, dilation, asymmetric padding): the reference kernel.
// Geometry as the float kernel (../conv2d.h); numerics as docs/quantization.md:
//
//   acc[n, o, oh, ow] = bias[o] + sum over c, kh, kw of (x[...] - z_x) * w[o, c, kh, kw]
//     (int32; x outside the input reads z_x, i.e. real zero, so padding adds nothing)
//   y = clamp(requantize(acc, M[o]) + z_y, lo, hi),  M[o] = s_x * s_w[o] / s_y
//   [lo, hi] = [-128, 127], or the ReLU / ReLU6 clamp of a fused activation.
//
// Weights: int8 constant, zero point 0, one scale per output channel (axis 0) or per tensor.
// Bias: optional int32 constant with scales s_x * s_w[o].
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_conv2d_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
