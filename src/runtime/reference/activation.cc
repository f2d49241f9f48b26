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

class ActivationKernel final : public Kernel {
 public:
  ActivationKernel(ir::Activation activation, size_t count) : activation_(activation), count_(count) {}
  void run(const KernelIo& io, ThreadPool* pool) const override {
    activation_f32(activation_, io.inputs[0], io.outputs[0], count_, pool);
  }

 private:
  ir::Activation activation_;
  size_t count_;
};

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
  const std::optional<ir::Activation> activation = ir::activation_of(context.node.kind);
  if (!activation) return internal_error("not an activation op: ", ir::op_kind_name(context.node.kind));
  if (context.input_shapes.size() != 1 || context.output_shapes.size() != 1) {
    return invalid_argument("an activation takes one input and one output");
  }
  const size_t count = element_count_of(context.output_shapes[0]);
  if (count != element_count_of(context.input_shapes[0])) {
    return invalid_argument("input and output element counts differ");
  }
  return std::unique_ptr<Kernel>(std::make_unique<ActivationKernel>(*activation, count));
}

}  // namespace gramlite::runtime::reference
