// Quantize (float32 -> int8) and Dequantize (int8 -> float32), per tensor, any shape:
//
//   Quantize:   q = clamp(round_half_even(x / scale) + zero_point, -128, 127)   (output's params)
//   Dequantize: x = scale * (q - zero_point)                                  (input's params)
//
// The two ends of an int8 graph (and the edges of a layer kept in float, --keep-float).
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_quantize_kernel(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_dequantize_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
