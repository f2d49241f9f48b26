// MaxPool, float32, NCHW (torch.nn.functional.max_pool2d, dilation 1; geometry in pool2d.h):
//
//   y[n, c, oh, ow] = max of x[n, c, ih, iw] over the window's positions inside the input.
//   Padding never wins (it is -infinity, not zero). A NaN in the window gives NaN, as in PyTorch.
//   A window with no position inside the input (possible only with padding >= kernel) gives
//   -infinity.
#pragma once

#include <memory>

#include "runtime/reference/pool2d.h"

namespace gramlite::runtime::reference {

void max_pool2d_f32(const Pool2dParams& params, const float* input, float* output, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_max_pool_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
