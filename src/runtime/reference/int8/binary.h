// Add and Mul, int8, with numpy broadcasting (shapes as the float kernel, ../binary_elementwise.h).
//
// Add (TFLite / XNNPACK's scheme): each input is rescaled to a common finer scale and the sum
// requantized to the output, integer-only:
//   a' = requantize((a - z_a) << 20, s_a / (2 max(s_a, s_b)))      (the same for b)
//   y  = clamp(requantize(a' + b', 2 max(s_a, s_b) / (2^20 s_y)) + z_y, lo, hi)
// Mul (squeeze-excitation: [N, C, 1, 1] x [N, C, H, W]): the product of reals, requantized:
//   y  = clamp(requantize((a - z_a) * (b - z_b), s_a s_b / s_y) + z_y, lo, hi)
// [lo, hi]: [-128, 127] or the ReLU / ReLU6 clamp of a fused activation.
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// Factory for kAdd and kMul on int8.
Result<std::unique_ptr<Kernel>> create_binary_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
