#include "gramlite/ir/model_summary.h"

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


}  // namespace

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
    summary.layers.push_back(std::move(layer));
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
