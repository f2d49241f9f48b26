#include "gramlite/ir/quantization_check.h"

#include <cmath>
#include <cstring>

#include "gramlite/ir/quantization.h"

namespace gramlite::ir {
namespace {

Status tensor_error(const Tensor& t, const std::string& message) {
  return invalid_argument("tensor '", t.name, "': ", message);
}

// "tensor 'w' (input 1 of Conv2d 'conv'): ...": the node tells which rule applied.
Status role_error(const Tensor& t, const Node& node, size_t input, const std::string& message) {
  return invalid_argument("tensor '", t.name, "' (input ", input, " of ", op_kind_name(node.kind), " '", node.name,
                          "'): ", message);
}

Status output_error(const Tensor& t, const Node& node, const std::string& message) {
  return invalid_argument("tensor '", t.name, "' (output of ", op_kind_name(node.kind), " '", node.name, "'): ",
                          message);
}

// Rules that need nothing but the tensor itself.
Status check_tensor(const Tensor& t) {
  const QuantParams& q = t.quant;
  if (q.scales.empty()) {
    if (!q.zero_points.empty()) return tensor_error(t, str_cat("has ", q.zero_points.size(), " zero points but no scales"));
    return Status::Ok();
  }
  if (!q.zero_points.empty() && q.zero_points.size() != q.scales.size()) {
    return tensor_error(t, "quantization has different numbers of scales and zero points");
  }
  if (q.per_channel()) {
    if (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size() ||
        t.shape[static_cast<size_t>(q.axis)] != static_cast<int64_t>(q.scales.size())) {
      return tensor_error(t, str_cat("per-channel quantization axis does not match the shape: ", q.scales.size(),
                                     " scales along axis ", q.axis, " of ", shape_to_string(t.shape)));
    }
  }
  for (size_t i = 0; i < q.scales.size(); ++i) {
    const float s = q.scales[i];
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return tensor_error(t, str_cat("quantization scale #", i, " is ", s, ": a scale must be positive and finite"));
    }
  }
  if (t.dtype == DType::kInt8) {
    for (size_t i = 0; i < q.zero_points.size(); ++i) {
      if (q.zero_points[i] < kInt8Min || q.zero_points[i] > kInt8Max) {
        return tensor_error(t, str_cat("int8 zero point #", i, " is ", q.zero_points[i], ", outside [-128, 127]"));
      }
    }
  }
  return Status::Ok();
}

bool has_one_scale(const Tensor& t) { return t.quant.scales.size() == 1; }

Status check_weight(const Tensor& w, const Node& node) {
  if (w.quant.empty()) return role_error(w, node, 1, "an int8 weight needs scales");
  for (size_t i = 0; i < w.quant.zero_points.size(); ++i) {
    if (w.quant.zero_points[i] != 0) {
      return role_error(w, node, 1, str_cat("an int8 weight is symmetric: zero point #", i, " is ",
                                            w.quant.zero_points[i], ", not 0"));
    }
  }
  const int64_t channels = w.shape.empty() ? 0 : w.shape[0];
  if (w.quant.per_channel() && (w.quant.axis != 0 || static_cast<int64_t>(w.quant.scales.size()) != channels)) {
    return role_error(w, node, 1, str_cat("has ", w.quant.scales.size(), " scales along axis ", w.quant.axis,
                                          "; per-channel weight scales go along axis 0, one per output channel (",
                                          channels, ")"));
  }
  if (w.sparsity.encoding == SparsityEncoding::kDense && w.is_constant()) {
    const void* found = std::memchr(w.data.data(), 0x80, w.data.size());  // int8 -128
    if (found != nullptr) {
      const auto at = static_cast<const uint8_t*>(found) - w.data.data();
      return role_error(w, node, 1, str_cat("element ", at, " is -128; int8 weights use [-127, 127]"));
    }
  }
  return Status::Ok();
}

Status check_bias(const Graph& graph, const Node& node) {
  const Tensor& x = graph.tensor(node.inputs[0]);
  const Tensor& w = graph.tensor(node.inputs[1]);
  const Tensor& b = graph.tensor(node.inputs[2]);
  const bool int8_compute = x.dtype == DType::kInt8 && w.dtype == DType::kInt8;
  if (b.dtype != DType::kInt32) {
    if (int8_compute) {
      return role_error(b, node, 2, str_cat("the bias of an int8 ", op_kind_name(node.kind), " must be int32, not ",
                                            dtype_name(b.dtype)));
    }
    return Status::Ok();
  }
  if (b.quant.empty()) return role_error(b, node, 2, "an int32 bias needs scales (input scale x weight scale)");
  if (!int8_compute || !has_one_scale(x) || w.quant.empty()) {
    return role_error(b, node, 2, str_cat("an int32 bias needs an int8 input with one scale and an int8 weight with ",
                                          "scales; here the input is ", dtype_name(x.dtype), " and the weight ",
                                          dtype_name(w.dtype)));
  }
  for (size_t i = 0; i < b.quant.zero_points.size(); ++i) {
    if (b.quant.zero_points[i] != 0) {
      return role_error(b, node, 2, str_cat("zero point #", i, " is ", b.quant.zero_points[i], ", not 0"));
    }
  }
  const int64_t channels = w.shape.empty() ? 0 : w.shape[0];
  if (b.quant.per_channel() && static_cast<int64_t>(b.quant.scales.size()) != channels) {
    return role_error(b, node, 2, str_cat("has ", b.quant.scales.size(), " scales for ", channels, " output channels"));
  }
  for (int64_t c = 0; c < channels; ++c) {
    const auto ci = static_cast<size_t>(c);
    const double expected =
        static_cast<double>(x.quant.scales[0]) * static_cast<double>(w.quant.scales[w.quant.per_channel() ? ci : 0]);
    const double actual = b.quant.scales[b.quant.per_channel() ? ci : 0];
    if (!(std::fabs(actual - expected) <= kBiasScaleRelativeTolerance * expected)) {
      return role_error(b, node, 2, str_cat("scale ", actual, " of channel ", c, " is not input scale x weight scale = ",
                                            expected, " (relative difference above ", kBiasScaleRelativeTolerance,
                                            ")"));
    }
  }
  return Status::Ok();
}

Status check_node(const Graph& graph, const Node& node) {
  for (TensorId id : node.inputs) {
    if (!graph.is_valid_tensor_id(id)) return Status::Ok();
  }
  for (TensorId id : node.outputs) {
    if (!graph.is_valid_tensor_id(id)) return Status::Ok();
  }
  if (node.outputs.size() != 1) return Status::Ok();
  const Tensor& out = graph.tensor(node.outputs[0]);
  if (node.kind == OpKind::kQuantize && !node.inputs.empty()) {
    const Tensor& in = graph.tensor(node.inputs[0]);
    if (in.dtype != DType::kFloat32) {
      return role_error(in, node, 0, str_cat("Quantize reads float32, not ", dtype_name(in.dtype)));
    }
    if (out.dtype != DType::kInt8 || !has_one_scale(out)) {
      return output_error(out, node, str_cat("Quantize writes int8 with one scale; this is ", dtype_name(out.dtype),
                                             " with ", out.quant.scales.size(), " scales"));
    }
  }
  if (node.kind == OpKind::kDequantize && !node.inputs.empty()) {
    const Tensor& in = graph.tensor(node.inputs[0]);
    if (in.dtype != DType::kInt8 || !has_one_scale(in)) {
      return role_error(in, node, 0, str_cat("Dequantize reads int8 with one scale; this is ", dtype_name(in.dtype),
                                             " with ", in.quant.scales.size(), " scales"));
    }
    if (out.dtype != DType::kFloat32) {
      return output_error(out, node, str_cat("Dequantize writes float32, not ", dtype_name(out.dtype)));
    }
  }
  const bool weight_layer = node.kind == OpKind::kConv2d || node.kind == OpKind::kLinear;
  if (weight_layer && node.inputs.size() >= 2) {
    const Tensor& w = graph.tensor(node.inputs[1]);
    if (w.dtype == DType::kInt8) GRAMLITE_RETURN_IF_ERROR(check_weight(w, node));
    if (node.inputs.size() >= 3) GRAMLITE_RETURN_IF_ERROR(check_bias(graph, node));
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Tensor& in = graph.tensor(node.inputs[i]);
    if (in.dtype == DType::kInt8 && in.quant.empty()) {
      return role_error(in, node, i, "is int8 without quantization parameters");
    }
  }
  return Status::Ok();
}

}  // namespace

Status validate_quantization(const Graph& graph) {
  for (const Tensor& t : graph.tensors) GRAMLITE_RETURN_IF_ERROR(check_tensor(t));
  // Activations: graph inputs and node outputs. An int8 activation is per tensor, always.
  std::vector<bool> activation(graph.tensors.size(), false);
  for (TensorId id : graph.inputs) {
    if (graph.is_valid_tensor_id(id)) activation[static_cast<size_t>(id)] = true;
  }
  for (const Node& node : graph.nodes) {
    for (TensorId id : node.outputs) {
      if (graph.is_valid_tensor_id(id)) activation[static_cast<size_t>(id)] = true;
    }
  }
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const Tensor& t = graph.tensors[i];
    if (!activation[i] || t.dtype != DType::kInt8 || has_one_scale(t)) continue;
    if (t.quant.empty()) return tensor_error(t, "is an int8 activation without quantization parameters");
    return tensor_error(t, str_cat("is an int8 activation with ", t.quant.scales.size(),
                                   " scales; activations are quantized per tensor (one scale)"));
  }
  for (const Node& node : graph.nodes) GRAMLITE_RETURN_IF_ERROR(check_node(graph, node));
  return Status::Ok();
}

}  // namespace gramlite::ir
