// Linear, float32 (torch.nn.functional.linear):
//   x: [..., in] (rank >= 2; leading dims are rows), weight: [out, in], bias: [out] (optional)
//   y[r, o] = bias[o] + sum over i of x[r, i] * weight[o, i], then the fused activation.
// The portable backend's Linear: one GEMM, y = x * weight^T, split into fixed tiles of y (see
// parallel_sgemm), so results do not depend on the number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"
#include "runtime/reference/linear.h"

namespace gramlite::runtime::portable {

using reference::LinearParams;

// Floats of scratch linear_f32 needs with `thread_count` threads.
size_t linear_scratch_floats(int thread_count);

void linear_f32(const LinearParams& params, const float* input, const float* weight, const float* bias, float* output,
                float* scratch, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_linear_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::portable
