// Linear, int8: the reference kernel. Shapes as the float kernel (../linear.h); numerics as Conv2d
// (conv2d.h):
//
//   acc[r, o] = bias[o] + sum over i of (x[r, i] - z_x) * w[o, i]            (int32)
//   y[r, o]   = clamp(requantize(acc, s_x * s_w[o] / s_y) + z_y, lo, hi)
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_linear_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
