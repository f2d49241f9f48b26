#include "runtime/reference/int8/activation.h"

#include <algorithm>
#include <array>
#include <optional>

#include "runtime/reference/activation.h"
#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::reference {
namespace {

struct ActivationS8Plan {
  size_t count = 0;
  bool table_lookup = false;
  std::array<int8_t, 256> table{};  // HardSwish / HardSigmoid / Sigmoid: indexed by q + 128
  int8::InOutQuant q;               // Relu / Relu6
  bool rescale = false;
  ir::FixedPointMultiplier multiplier;
  ir::Int8Clamp clamp;
};

Result<ActivationS8Plan> plan_activation_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  const std::optional<ir::Activation> activation = ir::activation_of(context.node.kind);
  if (!activation) return internal_error("not an activation op: ", ir::op_kind_name(context.node.kind));
  ActivationS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::unary_quant(context));
  plan.count = element_count_of(context.outputs[0].shape);
  if (plan.count != element_count_of(context.inputs[0].shape)) {
    return invalid_argument("input and output element counts differ");
  }
  const ir::AffineQuant& in = plan.q.in;
  const ir::AffineQuant& out = plan.q.out;
  if (*activation == ir::Activation::kRelu || *activation == ir::Activation::kRelu6) {
    plan.rescale = !int8::same_quant(in, out);
    plan.multiplier = int8::rescale_multiplier(in, out);
    plan.clamp = *activation == ir::Activation::kRelu ? ir::clamp_for_relu(out) : ir::clamp_for_relu6(out);
    return plan;
  }
  plan.table_lookup = true;
  for (int32_t q = ir::kInt8Min; q <= ir::kInt8Max; ++q) {
    const float real = apply_activation(*activation, ir::dequantize_value(q, in.scale, in.zero_point));
    plan.table[static_cast<size_t>(q - ir::kInt8Min)] =
        static_cast<int8_t>(ir::quantize_value(real, out.scale, out.zero_point));
  }
  return plan;
}

void run_activation_s8(const ActivationS8Plan& p, const KernelIo& io, ThreadPool* /*pool*/) {
  const int8_t* x = int8::input_s8(io, 0);
  int8_t* y = int8::output_s8(io, 0);
  if (p.table_lookup) {
    for (size_t i = 0; i < p.count; ++i) y[i] = p.table[static_cast<size_t>(x[i] - ir::kInt8Min)];
  } else if (p.rescale) {
    for (size_t i = 0; i < p.count; ++i) y[i] = int8::rescale(x[i], p.q.in, p.multiplier, p.q.out, p.clamp);
  } else {
    for (size_t i = 0; i < p.count; ++i) y[i] = static_cast<int8_t>(std::clamp<int32_t>(x[i], p.clamp.min, p.clamp.max));
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_activation_s8_kernel(const KernelContext& context) {
  const bool lut = context.node.kind != ir::OpKind::kRelu && context.node.kind != ir::OpKind::kRelu6;
  return make_planned_kernel<ActivationS8Plan>(context,
                                               snake_case_op_name(context.node.kind) + (lut ? "_s8_lut" : "_s8_clamp"),
                                               plan_activation_s8, run_activation_s8);
}

}  // namespace gramlite::runtime::reference
