// Linear, float32 (torch.nn.functional.linear):
//   x: [..., in] (rank >= 2; leading dims are rows), weight: [out, in], bias: [out] (optional)
//   y[r, o] = bias[o] + sum over i of x[r, i] * weight[o, i], then the fused activation.
// One GEMM, y = x * weight^T, split into fixed tiles of y (see parallel_sgemm), so results do not
// depend on the number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ir/op_kind.h"
#include "runtime/reference/kernel.h"

namespace gramlite::runtime::reference {

struct LinearParams {
  int64_t rows = 1;
  int64_t in_features = 0;
  int64_t out_features = 0;
  ir::Activation activation = ir::Activation::kNone;
};

// Floats of scratch linear_f32 needs with `thread_count` threads.
size_t linear_scratch_floats(int thread_count);

void linear_f32(const LinearParams& params, const float* input, const float* weight, const float* bias, float* output,
                float* scratch, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_linear_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
