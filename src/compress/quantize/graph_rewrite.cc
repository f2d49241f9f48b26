#include "compress/quantize/graph_rewrite.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "gramlite/ir/quantization.h"

namespace gramlite::compress::internal {
namespace {

ir::OpKind activation_op(ir::Activation activation) {
  switch (activation) {
    case ir::Activation::kRelu: return ir::OpKind::kRelu;
    case ir::Activation::kRelu6: return ir::OpKind::kRelu6;
    case ir::Activation::kHardSwish: return ir::OpKind::kHardSwish;
    case ir::Activation::kHardSigmoid: return ir::OpKind::kHardSigmoid;
    case ir::Activation::kSigmoid: return ir::OpKind::kSigmoid;
    case ir::Activation::kNone:
    case ir::Activation::kCount: break;
  }
  return ir::OpKind::kRelu;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

bool is_table_activation(ir::Activation activation) {
  return activation == ir::Activation::kHardSwish || activation == ir::Activation::kHardSigmoid ||
         activation == ir::Activation::kSigmoid;
}

std::string pre_activation_name(const ir::Node& node) { return node.name + ".pre_activation"; }

int split_table_activations(ir::Graph& graph) {
  int split = 0;
  std::vector<ir::Node> nodes;
  nodes.reserve(graph.nodes.size());
  for (ir::Node& node : graph.nodes) {
    if (!is_table_activation(node.fused_activation)) {
      nodes.push_back(std::move(node));
      continue;
    }
    const ir::TensorId out = node.outputs[0];
    const ir::Tensor& out_tensor = graph.tensor(out);
    const ir::TensorId pre = graph.add_value(pre_activation_name(node), out_tensor.shape, out_tensor.dtype);
    ir::Node act;
    act.kind = activation_op(node.fused_activation);
    act.name = node.name + "." + lower(ir::activation_name(node.fused_activation));
    act.inputs = {pre};
    act.outputs = {out};
    act.attrs = ir::default_attributes(act.kind);
    node.outputs[0] = pre;
    node.fused_activation = ir::Activation::kNone;
    nodes.push_back(std::move(node));
    nodes.push_back(std::move(act));
    ++split;
  }
  graph.nodes = std::move(nodes);
  return split;
}

std::vector<float> float_values(const ir::Tensor& tensor) {
  std::vector<float> values(static_cast<size_t>(std::max<int64_t>(tensor.element_count(), 0)));
  if (!values.empty()) std::memcpy(values.data(), tensor.data.data(), values.size() * sizeof(float));
  return values;
}

ir::Tensor quantize_weight(const ir::Tensor& weight, bool per_tensor, int bits) {
  const std::vector<float> w = float_values(weight);
  const int64_t channels = weight.shape.empty() ? 1 : weight.shape[0];
  const size_t per_channel = channels > 0 ? w.size() / static_cast<size_t>(channels) : 0;
  const int32_t qmax = (1 << (bits - 1)) - 1;
  std::vector<float> scales;
  if (per_tensor) {
    float max_abs = 0.0f;
    for (float v : w) max_abs = std::max(max_abs, std::fabs(v));
    scales.assign(1, ir::choose_weight_scale(max_abs, bits));
  } else {
    for (int64_t c = 0; c < channels; ++c) {
      float max_abs = 0.0f;
      for (size_t k = 0; k < per_channel; ++k) max_abs = std::max(max_abs, std::fabs(w[static_cast<size_t>(c) * per_channel + k]));
      scales.push_back(ir::choose_weight_scale(max_abs, bits));
    }
  }
  Buffer data = Buffer::allocate(w.size());
  auto* q = data.mutable_as<int8_t>();
  for (size_t i = 0; i < w.size(); ++i) {
    const float s = scales[per_tensor ? 0 : i / per_channel];
    q[i] = static_cast<int8_t>(ir::quantize_value(w[i], s, 0, -qmax, qmax));
  }
  ir::Tensor out;
  out.name = weight.name;
  out.shape = weight.shape;
  out.dtype = ir::DType::kInt8;
  out.quant.scales = std::move(scales);
  // Symmetric: the zero points are all 0 and not stored (4 bytes a channel less in the file).
  out.quant.axis = 0;
  out.data = std::move(data);
  return out;
}

bool is_float_constant(const ir::Graph& graph, ir::TensorId id) {
  const ir::Tensor& t = graph.tensor(id);
  return t.is_constant() && t.dtype == ir::DType::kFloat32 && t.quant.empty() &&
         t.sparsity.encoding == ir::SparsityEncoding::kDense;
}

size_t use_count(const ir::Graph& graph, ir::TensorId id) {
  size_t uses = 0;
  for (const ir::Node& node : graph.nodes) uses += static_cast<size_t>(std::count(node.inputs.begin(), node.inputs.end(), id));
  return uses;
}

}  // namespace gramlite::compress::internal
