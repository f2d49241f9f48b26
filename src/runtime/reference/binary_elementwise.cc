#include "runtime/reference/binary_elementwise.h"

#include <algorithm>

#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

constexpr int64_t kElementsPerItem = 16384;

// Right-aligns `shape` to `rank` dims with leading 1s.
ir::Shape pad_to_rank(const ir::Shape& shape, size_t rank) {
  ir::Shape padded(rank - shape.size(), 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  return padded;
}

// Whether `small` (padded to out's rank) is out's shape with leading and trailing dims set to 1;
// sets outer/middle/inner.
bool channel_pattern(const ir::Shape& small, const ir::Shape& out, BroadcastPlan& plan) {
  const size_t rank = out.size();
  size_t first = 0;
  while (first < rank && small[first] == 1) ++first;
  size_t last = rank;
  while (last > first && small[last - 1] == 1) --last;
  for (size_t d = first; d < last; ++d) {
    if (small[d] != out[d]) return false;
  }
  plan.outer = plan.middle = plan.inner = 1;
  for (size_t d = 0; d < first; ++d) plan.outer *= out[d];
  for (size_t d = first; d < last; ++d) plan.middle *= out[d];
  for (size_t d = last; d < rank; ++d) plan.inner *= out[d];
  return true;
}

Result<BroadcastPlan> make_general_plan(const ir::Shape& a, const ir::Shape& b, const ir::Shape& out) {
  if (out.size() > static_cast<size_t>(kMaxBroadcastRank)) {
    return unsupported("broadcasting over rank ", out.size(), " (more than ", kMaxBroadcastRank, ")");
  }
  BroadcastPlan plan;
  plan.kind = BroadcastPlan::Kind::kGeneral;
  plan.count = ir::element_count(out);
  plan.rank = static_cast<int>(out.size());
  const ir::Shape pa = pad_to_rank(a, out.size());
  const ir::Shape pb = pad_to_rank(b, out.size());
  int64_t stride_a = 1, stride_b = 1;
  for (int d = plan.rank - 1; d >= 0; --d) {
    const size_t i = static_cast<size_t>(d);
    plan.dims[d] = out[i];
    plan.a_strides[d] = pa[i] == 1 ? 0 : stride_a;
    plan.b_strides[d] = pb[i] == 1 ? 0 : stride_b;
    stride_a *= pa[i];
    stride_b *= pb[i];
  }
  return plan;
}

template <typename Op>
void run_plan(Op op, const BroadcastPlan& plan, const float* a, const float* b, float* out, ir::Activation activation,
              ThreadPool* pool) {
  switch (plan.kind) {
    case BroadcastPlan::Kind::kSameShape: {
      const int64_t items = (plan.count + kElementsPerItem - 1) / kElementsPerItem;
      parallel_for(pool, items, [&](int64_t begin, int64_t end) {
        const int64_t first = begin * kElementsPerItem;
        const int64_t last = std::min(plan.count, end * kElementsPerItem);
        for (int64_t i = first; i < last; ++i) out[i] = op(a[i], b[i]);
        apply_activation(activation, out + first, static_cast<size_t>(last - first));
      });
      return;
    }
    case BroadcastPlan::Kind::kChannel: {
      // One row = the `inner` elements sharing one value of the small operand.
      parallel_for(pool, plan.outer * plan.middle, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float s = b[row % plan.middle];
          const float* in = a + row * plan.inner;
          float* dst = out + row * plan.inner;
          for (int64_t i = 0; i < plan.inner; ++i) dst[i] = op(in[i], s);
          apply_activation(activation, dst, static_cast<size_t>(plan.inner));
        }
      });
      return;
    }
    case BroadcastPlan::Kind::kGeneral: {
      if (plan.rank == 0) {
        out[0] = apply_activation(activation, op(a[0], b[0]));
        return;
      }
      const int last = plan.rank - 1;
      const int64_t row_length = plan.dims[last];
      const int64_t sa = plan.a_strides[last], sb = plan.b_strides[last];
      for_each_broadcast_row(plan, pool, [&](int64_t row, int64_t offset_a, int64_t offset_b) {
        const float* pa = a + offset_a;
        const float* pb = b + offset_b;
        float* dst = out + row * row_length;
        for (int64_t i = 0; i < row_length; ++i) dst[i] = op(pa[i * sa], pb[i * sb]);
        apply_activation(activation, dst, static_cast<size_t>(row_length));
      });
      return;
    }
  }
}

struct AddOp {
  float operator()(float x, float y) const { return x + y; }
};
struct MulOp {
  float operator()(float x, float y) const { return x * y; }
};

// fast_paths: plan with plan_broadcast (same-shape and per-channel loops: the portable kernel);
// otherwise with plan_broadcast_general only (one index walk for every shape: the reference).
class BinaryElementwiseKernel final : public Kernel {
 public:
  BinaryElementwiseKernel(std::string name, BinaryOp op, bool fast_paths, ir::Activation activation)
      : name_(std::move(name)), op_(op), fast_paths_(fast_paths), activation_(activation) {}
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext& context) override {
    if (context.inputs.size() != 2 || context.outputs.size() != 1) {
      return invalid_argument(ir::op_kind_name(context.node.kind), " takes two inputs and has one output");
    }
    const ir::Shape& a = context.inputs[0].shape;
    const ir::Shape& b = context.inputs[1].shape;
    GRAMLITE_ASSIGN_OR_RETURN(ir::Shape out, broadcast_shape(a, b));
    if (out != context.outputs[0].shape) {
      return invalid_argument("output shape ", ir::shape_to_string(context.outputs[0].shape),
                              " is not the broadcast shape ", ir::shape_to_string(out));
    }
    GRAMLITE_ASSIGN_OR_RETURN(plan_, fast_paths_ ? plan_broadcast(a, b) : plan_broadcast_general(a, b));
    return Status::Ok();
  }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    binary_elementwise_f32(op_, plan_, input_f32(io, 0), input_f32(io, 1), output_f32(io, 0), activation_, pool);
  }

 private:
  std::string name_;
  BinaryOp op_;
  bool fast_paths_;
  ir::Activation activation_;
  BroadcastPlan plan_;
};

}  // namespace

Result<ir::Shape> broadcast_shape(const ir::Shape& a, const ir::Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  const ir::Shape pa = pad_to_rank(a, rank);
  const ir::Shape pb = pad_to_rank(b, rank);
  ir::Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (pa[d] != pb[d] && pa[d] != 1 && pb[d] != 1) {
      return invalid_argument("shapes ", ir::shape_to_string(a), " and ", ir::shape_to_string(b), " do not broadcast");
    }
    out[d] = pa[d] == 1 ? pb[d] : pa[d];
  }
  return out;
}

Result<BroadcastPlan> plan_broadcast_general(const ir::Shape& a, const ir::Shape& b) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Shape out, broadcast_shape(a, b));
  return make_general_plan(a, b, out);
}

Result<BroadcastPlan> plan_broadcast(const ir::Shape& a, const ir::Shape& b) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Shape out, broadcast_shape(a, b));
  BroadcastPlan plan;
  plan.count = ir::element_count(out);
  const ir::Shape pa = pad_to_rank(a, out.size());
  const ir::Shape pb = pad_to_rank(b, out.size());
  if (pa == out && pb == out) {
    plan.kind = BroadcastPlan::Kind::kSameShape;
    return plan;
  }
  plan.kind = BroadcastPlan::Kind::kChannel;
  if (pa == out && channel_pattern(pb, out, plan)) return plan;
  if (pb == out && channel_pattern(pa, out, plan)) {
    plan.swap_operands = true;
    return plan;
  }
  return make_general_plan(a, b, out);
}

void binary_elementwise_f32(BinaryOp op, const BroadcastPlan& plan, const float* a, const float* b, float* out,
                            ir::Activation activation, ThreadPool* pool) {
  if (plan.swap_operands) std::swap(a, b);
  if (op == BinaryOp::kAdd) {
    run_plan(AddOp{}, plan, a, b, out, activation, pool);
  } else {
    run_plan(MulOp{}, plan, a, b, out, activation, pool);
  }
}

Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel_with_plans(const KernelContext& context,
                                                                         bool fast_paths) {
  if (context.inputs.size() != 2 || context.outputs.size() != 1) {
    return invalid_argument(ir::op_kind_name(context.node.kind), " takes two inputs and has one output");
  }
  const BinaryOp op = context.node.kind == ir::OpKind::kMul ? BinaryOp::kMul : BinaryOp::kAdd;
  std::string name = snake_case_op_name(context.node.kind) + (fast_paths ? "_f32_broadcast_plans" : "_f32_indexed");
  return std::unique_ptr<Kernel>(
      std::make_unique<BinaryElementwiseKernel>(std::move(name), op, fast_paths, context.node.fused_activation));
}

Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel(const KernelContext& context) {
  return create_binary_elementwise_kernel_with_plans(context, false);
}

}  // namespace gramlite::runtime::reference
