// BatchNorm (inference), float32. PyTorch semantics (torch.nn.functional.batch_norm with
// training=False):
//
//   x: [N, C, ...] (rank >= 2), gamma, beta, running_mean, running_var: [C]
//   y[n, c, ...] = (x[n, c, ...] - running_mean[c]) / sqrt(running_var[c] + epsilon) * gamma[c] + beta[c]
//   then the fused activation.
//
// Prepare folds the four vectors into scale = gamma / sqrt(var + eps) and shift = beta - mean *
// scale (owned by the kernel), so run computes y = x * scale[c] + shift[c]. This differs from
// PyTorch's order of operations by a few ulp.
#pragma once

#include <cstdint>
#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// scale[c] and shift[c] for c < channels.
void batch_norm_scale_shift(const float* gamma, const float* beta, const float* mean, const float* variance,
                            float epsilon, int64_t channels, float* scale, float* shift);

// y = activation(x * scale[c] + shift[c]) over x viewed as [outer, channels, inner]; x == y allowed.
void batch_norm_f32(const float* x, float* y, int64_t outer, int64_t channels, int64_t inner, const float* scale,
                    const float* shift, ir::Activation activation, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_batch_norm_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
