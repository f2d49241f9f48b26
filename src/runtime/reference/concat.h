// Concat, float32, along any axis (torch.cat semantics). Negative axes count from the end.
//
//   inputs x_0 .. x_{k-1} agree on every dim except `axis`; y's dim `axis` is their sum.
//   Viewing every tensor as [outer, dim_axis * inner], y's row o is the concatenation of the
//   inputs' rows o, in input order.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// outer: product of dims before the axis; row_lengths[i]: dim_axis(x_i) * inner.
void concat_f32(const float* const* inputs, const std::vector<int64_t>& row_lengths, int64_t outer, float* output,
                ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_concat_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
