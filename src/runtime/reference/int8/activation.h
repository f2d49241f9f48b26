// Standalone activations, int8, elementwise over any shape:
//
//   Relu, Relu6: a clamp of q to [q(0), 127] / [q(0), q(6)] (the output's params), preceded by a
//                rescale y = requantize(q - z_x, s_x / s_y) + z_y when the params differ.
//   HardSwish, HardSigmoid, Sigmoid: a 256-entry table built when the kernel is created,
//                table[q + 128] = quantize(f(dequantize(q, x params)), y params), with f the float
//                kernel's own scalar function (../activation.h), so it matches float exactly.
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// Factory for kRelu, kRelu6, kHardSwish, kHardSigmoid, kSigmoid on int8.
Result<std::unique_ptr<Kernel>> create_activation_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
