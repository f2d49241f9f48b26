// Pooling, int8 (geometry as the float kernels: ../pool2d.h, ../global_avg_pool.h):
//
//   MaxPool:       y = the window's largest q (padding is ignored; an empty window gives -128),
//                  rescaled only if y's params differ from x's (the quantizer gives them x's).
//   AvgPool:       sum = sum over the window's input positions of (q - z_x); padding is real 0 and
//                  adds nothing; d = the float kernel's divisor (count_include_pad either way,
//                  ceil_mode windows clipped the same way);
//                  y = clamp(requantize(sum, s_x / (d s_y)) + z_y)  (one multiplier per d).
//   GlobalAvgPool: AvgPool over the whole plane, d = H * W.
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_max_pool_s8_kernel(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_avg_pool_s8_kernel(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_global_avg_pool_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
