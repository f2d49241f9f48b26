#include "gramlite/ir/model_summary.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::ir {
namespace {

std::string weight_dtype(const Graph& graph, const Node& node) {
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Tensor& t = graph.tensor(node.inputs[i]);
    if (t.is_constant()) return std::string(dtype_name(t.dtype)) + (t.quant.empty() ? "" : t.quant.per_channel() ? "/pc" : "/pt");
  }
  return dtype_name(graph.tensor(node.outputs[0]).dtype);
}

std::string op_label(const Node& node) {
  std::string label = op_kind_name(node.kind);
  if (node.kind == OpKind::kConv2d) {
    const auto& a = node.attr<Conv2dAttrs>();
    label += " " + std::to_string(a.kernel_h) + "x" + std::to_string(a.kernel_w);
    if (a.stride_h > 1 || a.stride_w > 1) label += "/" + std::to_string(a.stride_h);
    if (a.groups > 1) label += " g" + std::to_string(a.groups);
  }
  if (node.fused_activation != Activation::kNone) label += "+" + std::string(activation_name(node.fused_activation));
  return label;
}


bool is_conversion(OpKind kind) { return kind == OpKind::kQuantize || kind == OpKind::kDequantize; }

bool is_float(DType dtype) { return dtype == DType::kFloat32 || dtype == DType::kFloat16; }

}  // namespace

const char* model_precision_name(ModelPrecision precision) {
  switch (precision) {
    case ModelPrecision::kFloat32: return "float32";
    case ModelPrecision::kFloat16Weights: return "float16 weights";
    case ModelPrecision::kInt8Dynamic: return "int8 weights, float activations (dynamic)";
    case ModelPrecision::kInt8FullInteger: return "int8 (full integer)";
  }
  return "unknown";
}

ModelPrecision model_precision(const Graph& graph) {
  bool int8_constant = false;
  bool fp16_constant = false;
  for (const Tensor& t : graph.tensors) {
    if (t.is_constant()) {
      int8_constant |= t.dtype == DType::kInt8;
      fp16_constant |= t.dtype == DType::kFloat16;
    } else if (t.dtype == DType::kInt8) {
      return ModelPrecision::kInt8FullInteger;
    }
  }
  if (int8_constant) return ModelPrecision::kInt8Dynamic;
  return fp16_constant ? ModelPrecision::kFloat16Weights : ModelPrecision::kFloat32;
}

QuantSummary summarize_quant(const QuantParams& quant) {
  QuantSummary q;
  q.scale_count = quant.scales.size();
  if (quant.scales.empty()) return q;
  q.scale_min = q.scale_max = quant.scales[0];
  for (float s : quant.scales) {
    q.scale_min = std::fmin(q.scale_min, s);
    q.scale_max = std::fmax(q.scale_max, s);
  }
  if (!quant.zero_points.empty()) {
    q.zero_point_min = q.zero_point_max = quant.zero_points[0];
    for (int32_t z : quant.zero_points) {
      q.zero_point_min = std::min(q.zero_point_min, z);
      q.zero_point_max = std::max(q.zero_point_max, z);
    }
  }
  if (quant.per_channel()) q.axis = quant.axis;
  return q;
}

std::vector<int> float_compute_nodes(const Graph& graph) {
  std::vector<int> nodes;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (is_conversion(node.kind) || node.outputs.empty() || !graph.is_valid_tensor_id(node.outputs[0])) continue;
    if (is_float(graph.tensor(node.outputs[0]).dtype)) nodes.push_back(static_cast<int>(n));
  }
  return nodes;
}

int64_t count_non_finite(const Tensor& tensor) {
  if (!tensor.is_constant() || tensor.sparsity.encoding != SparsityEncoding::kDense) return 0;
  int64_t count = 0;
  if (tensor.dtype == DType::kFloat32) {
    const size_t n = tensor.data.size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) {
      float v;  // memcpy: the buffer's alignment is not this function's concern
      std::memcpy(&v, tensor.data.data() + i * sizeof(float), sizeof(float));
      count += std::isfinite(v) ? 0 : 1;
    }
  } else if (tensor.dtype == DType::kFloat16) {
    const size_t n = tensor.data.size() / sizeof(uint16_t);
    for (size_t i = 0; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, tensor.data.data() + i * sizeof(uint16_t), sizeof(uint16_t));
      count += (bits & 0x7C00u) == 0x7C00u ? 1 : 0;  // exponent all ones: infinity or NaN
    }
  }
  return count;
}

Result<ModelSummary> summarize_model(const Graph& graph) {
  if (graph.inputs.empty()) return invalid_argument("the graph has no input");
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<NodeCost> costs, node_costs(graph));
  auto shapes = infer_shapes_for_batch(graph, 1);  // a table without shapes is still worth showing

  ModelSummary summary;
  summary.metadata = graph.metadata;
  const Tensor& input = graph.tensor(graph.inputs[0]);
  summary.input_shape = input.shape;
  summary.input_dtype = input.dtype;
  summary.parameters = count_parameters(graph);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    LayerSummary layer;
    layer.name = node.name;
    layer.kind = node.kind;
    layer.activation = node.fused_activation;
    layer.op_label = op_label(node);
    layer.weight_dtype = weight_dtype(graph, node);
    if (shapes.ok()) {
      layer.has_output_shape = true;
      layer.output_shape = (*shapes)[static_cast<size_t>(node.outputs[0])];
    }
    layer.parameters = costs[n].parameters;
    layer.macs = costs[n].macs;
    layer.zero_weights = costs[n].zero_weights;
    if (is_weight_layer_kind(node.kind)) layer.weight_elements = graph.tensor(node.inputs[1]).element_count();
    summary.macs += layer.macs;
    summary.zero_weights += layer.zero_weights;
    summary.weight_elements += layer.weight_elements;
    ++summary.op_counts[op_kind_name(node.kind)];
    if (is_conversion(node.kind)) {
      ++summary.conversion_nodes;
    } else if (graph.tensor(node.outputs[0]).dtype == DType::kInt8) {
      ++summary.int8_nodes;
    } else {
      ++summary.float_nodes;
    }
    summary.layers.push_back(std::move(layer));
  }
  summary.precision = model_precision(graph);
  if (summary.precision == ModelPrecision::kInt8FullInteger) {
    for (int n : float_compute_nodes(graph)) summary.float_node_names.push_back(graph.nodes[static_cast<size_t>(n)].name);
  }
  for (const Tensor& t : graph.tensors) {
    ++summary.tensors_by_dtype[dtype_name(t.dtype)];
    summary.tensors.push_back({t.name, t.dtype, t.shape, t.is_constant(), summarize_quant(t.quant)});
  }
  for (const Tensor& t : graph.tensors) {
    if (!t.is_constant()) continue;
    summary.constant_bytes_by_dtype[dtype_name(t.dtype)] += static_cast<int64_t>(t.data.size());
    const int64_t non_finite = count_non_finite(t);
    if (non_finite > 0 && summary.non_finite_weights == 0) summary.first_non_finite_tensor = t.name;
    summary.non_finite_weights += non_finite;
  }
  return summary;
}

}  // namespace gramlite::ir
