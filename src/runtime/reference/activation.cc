#include "runtime/reference/activation.h"

#include <algorithm>
#include <cstring>

namespace gramlite::runtime::reference {
namespace {

// The switch is outside the loop so each loop body is a simple, vectorisable function.
template <float (*F)(float)>
void map(const float* in, float* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = F(in[i]);
}

// Elements per work item: large enough to amortise a thread hand-off, small enough to balance.
constexpr int64_t kElementsPerItem = 16384;

struct ActivationParams {
  ir::Activation activation = ir::Activation::kNone;
  size_t count = 0;
};

Result<ActivationParams> plan_activation(const KernelContext& context) {
  const std::optional<ir::Activation> activation = ir::activation_of(context.node.kind);
  if (!activation) return internal_error("not an activation op: ", ir::op_kind_name(context.node.kind));
  if (context.inputs.size() != 1 || context.outputs.size() != 1) {
    return invalid_argument("an activation takes one input and one output");
  }
  const size_t count = element_count_of(context.outputs[0].shape);
  if (count != element_count_of(context.inputs[0].shape)) {
    return invalid_argument("input and output element counts differ");
  }
  return ActivationParams{*activation, count};
}

void run_activation(const ActivationParams& p, const KernelIo& io, ThreadPool* pool) {
  activation_f32(p.activation, input_f32(io, 0), output_f32(io, 0), p.count, pool);
}

}  // namespace

void apply_activation(ir::Activation activation, const float* in, float* out, size_t count) {
  switch (activation) {
    case ir::Activation::kNone:
      if (in != out) std::memcpy(out, in, count * sizeof(float));
      return;
    case ir::Activation::kRelu: return map<relu>(in, out, count);
    case ir::Activation::kRelu6: return map<relu6>(in, out, count);
    case ir::Activation::kHardSwish: return map<hard_swish>(in, out, count);
    case ir::Activation::kHardSigmoid: return map<hard_sigmoid>(in, out, count);
    case ir::Activation::kSigmoid: return map<sigmoid>(in, out, count);
    case ir::Activation::kCount: return;
  }
}

void activation_f32(ir::Activation activation, const float* input, float* output, size_t count, ThreadPool* pool) {
  const int64_t items = (static_cast<int64_t>(count) + kElementsPerItem - 1) / kElementsPerItem;
  parallel_for(pool, items, [&](int64_t begin, int64_t end) {
    const size_t first = static_cast<size_t>(begin * kElementsPerItem);
    const size_t last = std::min(count, static_cast<size_t>(end * kElementsPerItem));
    apply_activation(activation, input + first, output + first, last - first);
  });
}

Result<std::unique_ptr<Kernel>> create_activation_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<ActivationParams>(context, snake_case_op_name(context.node.kind) + "_f32",
                                               plan_activation, run_activation);
}

}  // namespace gramlite::runtime::reference
