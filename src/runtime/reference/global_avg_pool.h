// GlobalAvgPool, float32 (torch.nn.functional.adaptive_avg_pool2d(x, 1)):
//   x: [N, C, H, W] -> y: [N, C, 1, 1], y[n, c] = mean of x[n, c, :, :] (sum in float, then / (H*W)).
#pragma once

#include <cstdint>
#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// planes = N * C, plane_size = H * W.
void global_avg_pool_f32(const float* input, float* output, int64_t planes, int64_t plane_size, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_global_avg_pool_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
