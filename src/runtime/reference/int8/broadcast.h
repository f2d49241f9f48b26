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
  for_each_broadcast_row(plan, pool, [&](int64_t row, int64_t offset_a, int64_t offset_b) {
    for (int64_t i = 0; i < row_length; ++i) {
      f(row * row_length + i, offset_a + i * plan.a_strides[last], offset_b + i * plan.b_strides[last]);
    }
  });
}

}  // namespace gramlite::runtime::reference::int8
