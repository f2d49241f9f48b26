// Linear, float32 (torch.nn.functional.linear): the reference (oracle) kernel.
//   x: [..., in] (rank >= 2; leading dims are rows), weight: [out, in], bias: [out] (optional)
//   y[r, o] = bias[o] + sum over i of x[r, i] * weight[o, i], then the fused activation.
// linear_f32 is that sum as plain loops in double; the portable backend's GEMM kernel
// (portable/linear.h) is tested against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

struct LinearParams {
  int64_t rows = 1;
  int64_t in_features = 0;
  int64_t out_features = 0;
  ir::Activation activation = ir::Activation::kNone;
};

// Checks a Linear node's shapes (for any backend) and returns its parameters.
Result<LinearParams> plan_linear(const KernelContext& context);

// bias may be nullptr. Rows are split over the pool's threads.
void linear_f32(const LinearParams& params, const float* input, const float* weight, const float* bias, float* output,
                ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_linear_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
