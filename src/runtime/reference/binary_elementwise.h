// Add and Mul, float32, with numpy broadcasting (torch.add / torch.mul semantics):
//
//   shapes are aligned at their last dimension; missing leading dims count as 1; along each dim
//   the sizes must be equal or one of them 1, and the output takes the larger:
//   out[i...] = a[i... with broadcast dims at 0] (+ or *) b[i... likewise], then the fused
//   activation.
//
// Add and Mul share this file because they are one broadcasting kernel with a different
// operator. Three paths, picked when the plan is made:
//  - kSameShape: a, b and out have the same element count and shape;
//  - kChannel: one operand has out's shape and the other is out's shape with leading and trailing
//    dims set to 1 (a [C, 1, 1] bias, an [N, C, 1, 1] squeeze-excitation scale, a scalar, a
//    row [W]): out[o, m, i] = big[o, m, i] op small[m];
//  - kGeneral: any other broadcast, by strided index iteration (rank <= kMaxBroadcastRank).
// Both ops are commutative in IEEE arithmetic, so the operands may be swapped to reach a fast path.
#pragma once

#include <cstdint>
#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

enum class BinaryOp { kAdd, kMul };

inline constexpr int kMaxBroadcastRank = 8;

struct BroadcastPlan {
  enum class Kind { kSameShape, kChannel, kGeneral };
  Kind kind = Kind::kSameShape;
  bool swap_operands = false;  // true: the planned "a" is the caller's b
  int64_t count = 0;           // output elements
  // kChannel: out viewed as [outer, middle, inner], the small operand as [middle].
  int64_t outer = 1, middle = 1, inner = 1;
  // kGeneral: output dims and element strides of a and b (0 along broadcast dims), rank dims.
  int rank = 0;
  int64_t dims[kMaxBroadcastRank] = {};
  int64_t a_strides[kMaxBroadcastRank] = {};
  int64_t b_strides[kMaxBroadcastRank] = {};
};

// The general broadcast walk both the float and the int8 Add / Mul use: calls
// row_fn(row, offset_a, offset_b) for every row of the output's last dim (rank >= 1), rows split
// over the pool; the row's element i reads a[offset_a + i * a_strides[rank-1]] and likewise b.
template <typename RowFn>
void for_each_broadcast_row(const BroadcastPlan& plan, ThreadPool* pool, RowFn row_fn) {
  const int last = plan.rank - 1;
  const int64_t row_length = plan.dims[last];
  const int64_t rows = row_length == 0 ? 0 : plan.count / row_length;
  parallel_for(pool, rows, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      // Offsets of this row in a and b from its multi-index.
      int64_t offset_a = 0, offset_b = 0, rest = row;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t index = rest % plan.dims[d];
        rest /= plan.dims[d];
        offset_a += index * plan.a_strides[d];
        offset_b += index * plan.b_strides[d];
      }
      row_fn(row, offset_a, offset_b);
    }
  });
}

// The broadcast output shape of a and b, or an error when they do not broadcast.
Result<ir::Shape> broadcast_shape(const ir::Shape& a, const ir::Shape& b);
Result<BroadcastPlan> plan_broadcast(const ir::Shape& a, const ir::Shape& b);
// As plan_broadcast, but never uses the kSameShape / kChannel fast paths (for tests).
Result<BroadcastPlan> plan_broadcast_general(const ir::Shape& a, const ir::Shape& b);

void binary_elementwise_f32(BinaryOp op, const BroadcastPlan& plan, const float* a, const float* b, float* out,
                            ir::Activation activation, ThreadPool* pool);

// Factory for kAdd and kMul.
// The reference kernel plans every shape with plan_broadcast_general (one plain index walk);
// with fast_paths (the portable backend's kernel) it uses plan_broadcast's special cases.
Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel_with_plans(const KernelContext& context,
                                                                         bool fast_paths);

}  // namespace gramlite::runtime::reference
