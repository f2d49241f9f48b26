// Softmax, float32, along any axis (torch.softmax semantics). Negative axes count from the end.
//
//   Viewing x as [outer, length, inner] around the axis:
//   y[o, i, j] = exp(x[o, i, j] - m) / sum over i' of exp(x[o, i', j] - m),  m = max over i' of x[o, i', j]
//   Subtracting the max keeps exp() from overflowing; the result is the same in exact arithmetic.
#pragma once

#include <cstdint>
#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

void softmax_f32(const float* input, float* output, int64_t outer, int64_t length, int64_t inner, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_softmax_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
