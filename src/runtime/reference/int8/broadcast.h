// The broadcast index walk the int8 Add and Mul share: the float kernel's general plan
// (../binary_elementwise.h, plan_broadcast_general) visited one output element at a time.
#pragma once

#include <cstdint>

#include "runtime/reference/binary_elementwise.h"

namespace gramlite::runtime::reference::int8 {

// Calls f(out_index, a_index, b_index) for every output element, rows split over the pool.
template <typename F>
void for_each_broadcast(const BroadcastPlan& plan, ThreadPool* pool, F f) {
  if (plan.rank == 0) {
    f(0, 0, 0);
    return;
  }
  const int last = plan.rank - 1;
  const int64_t row_length = plan.dims[last];
  const int64_t rows = row_length == 0 ? 0 : plan.count / row_length;
  parallel_for(pool, rows, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t offset_a = 0, offset_b = 0, rest = row;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t index = rest % plan.dims[d];
        rest /= plan.dims[d];
        offset_a += index * plan.a_strides[d];
        offset_b += index * plan.b_strides[d];
      }
      for (int64_t i = 0; i < row_length; ++i) {
        f(row * row_length + i, offset_a + i * plan.a_strides[last], offset_b + i * plan.b_strides[last]);
      }
    }
  });
}

}  // namespace gramlite::runtime::reference::int8
