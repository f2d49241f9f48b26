#include "runtime/reference/int8/int8_common.h"

#include <algorithm>
#include <cmath>

namespace gramlite::runtime::reference::int8 {
namespace {

const char* name_of(const TensorDesc& desc) { return desc.tensor != nullptr ? desc.tensor->name.c_str() : "?"; }

// Input scale x weight scale and the bias scale that should equal it: float rounding of the
// product (by whoever wrote the file) is allowed, anything more is a wrong bias.
bool scales_match(double expected, double actual) {
  return std::fabs(expected - actual) <= 1e-5 * std::fabs(expected);
}

}  // namespace

Result<ir::AffineQuant> activation_quant(const TensorDesc& desc, const char* role) {
  if (!desc.present) return invalid_argument("the int8 kernel needs its ", role);
  if (desc.dtype != ir::DType::kInt8) {
    return unsupported("the ", role, " '", name_of(desc), "' is ", ir::dtype_name(desc.dtype), ", not int8");
  }
  if (desc.quant == nullptr || desc.quant->scales.size() != 1) {
    return invalid_argument("the int8 ", role, " '", name_of(desc), "' needs exactly one scale, has ",
                            desc.quant == nullptr ? 0 : desc.quant->scales.size());
  }
  const float scale = desc.quant->scales[0];
  const int32_t zero_point = desc.quant->zero_points.empty() ? 0 : desc.quant->zero_points[0];
  if (!(scale > 0.0f) || !std::isfinite(scale) || zero_point < ir::kInt8Min || zero_point > ir::kInt8Max) {
    return invalid_argument("the int8 ", role, " '", name_of(desc), "' has scale ", scale, " and zero point ",
                            zero_point, " (need a finite scale > 0 and a zero point in [-128, 127])");
  }
  return ir::AffineQuant{scale, zero_point};
}

Result<InOutQuant> unary_quant(const KernelContext& context) {
  if (context.inputs.empty() || context.outputs.size() != 1) {
    return invalid_argument(ir::op_kind_name(context.node.kind), " takes an input and has one output");
  }
  InOutQuant q;
  GRAMLITE_ASSIGN_OR_RETURN(q.in, activation_quant(context.inputs[0], "input"));
  GRAMLITE_ASSIGN_OR_RETURN(q.out, activation_quant(context.outputs[0], "output"));
  return q;
}

Result<std::vector<float>> weight_scales(const TensorDesc& weight, int64_t channels) {
  if (!weight.present) return invalid_argument("the int8 kernel needs a weight");
  const char* name = name_of(weight);
  if (weight.dtype != ir::DType::kInt8) {
    return unsupported("the weight '", name, "' is ", ir::dtype_name(weight.dtype), ", not int8");
  }
  if (!weight.is_constant()) return unsupported("the int8 weight '", name, "' is not a constant");
  if (weight.tensor->sparsity.encoding != ir::SparsityEncoding::kDense) {
    return unsupported("the int8 weight '", name, "' is stored sparse-encoded");
  }
  const ir::QuantParams* q = weight.quant;
  const size_t count = q == nullptr ? 0 : q->scales.size();
  if (count != 1 && (count != static_cast<size_t>(channels) || q->axis != 0)) {
    return invalid_argument("the int8 weight '", name, "' has ", count, " scales (axis ", q == nullptr ? -1 : q->axis,
                            "); it needs one, or one per output channel (", channels, ") along axis 0");
  }
  for (int32_t zero_point : q->zero_points) {
    if (zero_point != 0) return invalid_argument("the int8 weight '", name, "' has zero point ", zero_point, ", not 0");
  }
  std::vector<float> scales(static_cast<size_t>(channels), q->scales[0]);
  if (count != 1) scales = q->scales;
  for (float s : scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) return invalid_argument("the int8 weight '", name, "' has scale ", s);
  }
  return scales;
}

Status check_bias(const TensorDesc& bias, const ir::AffineQuant& input, const std::vector<float>& weight_scales) {
  if (!bias.present) return Status::Ok();
  const char* name = name_of(bias);
  if (bias.dtype != ir::DType::kInt32) {
    return unsupported("the bias '", name, "' of an int8 node is ", ir::dtype_name(bias.dtype), ", not int32");
  }
  if (!bias.is_constant()) return unsupported("the int32 bias '", name, "' is not a constant");
  if (bias.tensor->sparsity.encoding != ir::SparsityEncoding::kDense) {
    return unsupported("the int32 bias '", name, "' is stored sparse-encoded");
  }
  const ir::QuantParams* q = bias.quant;
  const size_t count = q == nullptr ? 0 : q->scales.size();
  if (count != 1 && count != weight_scales.size()) {
    return invalid_argument("the int32 bias '", name, "' has ", count, " scales; it needs ", weight_scales.size(),
                            " (input scale x weight scale per channel)");
  }
  for (int32_t zero_point : q->zero_points) {
    if (zero_point != 0) return invalid_argument("the int32 bias '", name, "' has zero point ", zero_point, ", not 0");
  }
  for (size_t c = 0; c < weight_scales.size(); ++c) {
    const double expected = static_cast<double>(input.scale) * weight_scales[c];
    const double actual = q->scales[count == 1 ? 0 : c];
    if (!scales_match(expected, actual)) {
      return invalid_argument("the int32 bias '", name, "' has scale ", actual, " for channel ", c,
                              "; input scale x weight scale is ", expected);
    }
  }
  return Status::Ok();
}

Result<ir::Int8Clamp> fused_clamp(const ir::Node& node, const ir::AffineQuant& out) {
  switch (node.fused_activation) {
    case ir::Activation::kNone: return ir::Int8Clamp{};
    case ir::Activation::kRelu: return ir::clamp_for_relu(out);
    case ir::Activation::kRelu6: return ir::clamp_for_relu6(out);
    case ir::Activation::kHardSwish:
    case ir::Activation::kHardSigmoid:
    case ir::Activation::kSigmoid:
    case ir::Activation::kCount: break;
  }
  return unsupported("fused activation ", ir::activation_name(node.fused_activation), " on int8 node '", node.name,
                     "' is not a clamp (split it into its own lookup-table node)");
}

Result<WeightLayerQuant> plan_weight_layer_quant(const KernelContext& context, int64_t out_channels) {
  WeightLayerQuant q;
  GRAMLITE_ASSIGN_OR_RETURN(q.x, activation_quant(context.inputs[0], "input"));
  GRAMLITE_ASSIGN_OR_RETURN(q.y, activation_quant(context.outputs[0], "output"));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<float> w_scales, weight_scales(context.inputs[1], out_channels));
  q.has_bias = has_input(context.node, 2);
  if (q.has_bias) GRAMLITE_RETURN_IF_ERROR(check_bias(context.inputs[2], q.x, w_scales));
  GRAMLITE_ASSIGN_OR_RETURN(q.clamp, fused_clamp(context.node, q.y));
  for (float w_scale : w_scales) {
    q.multipliers.push_back(ir::quantize_multiplier(static_cast<double>(q.x.scale) * w_scale / q.y.scale));
  }
  return q;
}

}  // namespace gramlite::runtime::reference::int8
