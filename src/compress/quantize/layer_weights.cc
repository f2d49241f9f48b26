#include "layer_weights.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "gramlite/ir/quantization.h"

namespace gramlite::compress::detail {
namespace {

bool is_float_constant(const ir::Graph& graph, ir::TensorId id) {
  if (!graph.is_valid_tensor_id(id)) return false;
  const ir::Tensor& t = graph.tensor(id);
  return t.is_constant() && t.dtype == ir::DType::kFloat32 && t.sparsity.encoding == ir::SparsityEncoding::kDense &&
         t.element_count() > 0 &&
         t.data.size() == static_cast<size_t>(t.element_count()) * sizeof(float);
}

std::vector<float> read_floats(const ir::Tensor& t) {
  const float* data = t.data.as<float>();
  return std::vector<float>(data, data + t.element_count());
}

Buffer buffer_of(const std::vector<float>& values) { return Buffer::copy_of(values.data(), values.size() * sizeof(float)); }

}  // namespace

float LayerWeights::output_channel_range(int64_t out) const {
  float range = 0.0f;
  const int64_t size = filter_size();
  for (int64_t k = out * size; k < (out + 1) * size; ++k) range = std::max(range, std::fabs(weight[static_cast<size_t>(k)]));
  return range;
}

float LayerWeights::input_channel_range(int64_t in) const {
  const int64_t group = in / in_per_group();
  const int64_t local = in % in_per_group();
  float range = 0.0f;
  for (int64_t out = group * out_per_group(); out < (group + 1) * out_per_group(); ++out) {
    const int64_t base = out * filter_size() + local * kernel_size;
    for (int64_t k = base; k < base + kernel_size; ++k) range = std::max(range, std::fabs(weight[static_cast<size_t>(k)]));
  }
  return range;
}

void LayerWeights::scale_output_channel(int64_t out, float factor) {
  const int64_t size = filter_size();
  for (int64_t k = out * size; k < (out + 1) * size; ++k) weight[static_cast<size_t>(k)] *= factor;
  bias[static_cast<size_t>(out)] *= factor;
}

void LayerWeights::scale_input_channel(int64_t in, float factor) {
  const int64_t group = in / in_per_group();
  const int64_t local = in % in_per_group();
  for (int64_t out = group * out_per_group(); out < (group + 1) * out_per_group(); ++out) {
    const int64_t base = out * filter_size() + local * kernel_size;
    for (int64_t k = base; k < base + kernel_size; ++k) weight[static_cast<size_t>(k)] *= factor;
  }
}

bool is_editable_weight_layer(const ir::Graph& graph, const ir::Node& node) {
  if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) return false;
  if (node.inputs.size() < 2 || node.outputs.size() != 1 || !is_float_constant(graph, node.inputs[1])) return false;
  if (node.inputs.size() > 2 && node.inputs[2] != ir::kNoTensor && !is_float_constant(graph, node.inputs[2])) return false;
  const ir::Shape& w = graph.tensor(node.inputs[1]).shape;
  if (node.kind == ir::OpKind::kLinear) return w.size() == 2;
  const auto* attrs = std::get_if<ir::Conv2dAttrs>(&node.attrs);
  return attrs != nullptr && w.size() == 4 && attrs->groups >= 1 && w[0] % attrs->groups == 0;
}

Result<LayerWeights> load_layer_weights(const ir::Graph& graph, int node_index) {
  const ir::Node& node = graph.nodes[static_cast<size_t>(node_index)];
  if (!is_editable_weight_layer(graph, node)) {
    return invalid_argument("node '", node.name, "' is not a float32 Conv2d / Linear with constant weights");
  }
  LayerWeights layer;
  layer.node = node_index;
  layer.weight_id = node.inputs[1];
  const ir::Tensor& w = graph.tensor(layer.weight_id);
  layer.out_channels = w.shape[0];
  if (node.kind == ir::OpKind::kLinear) {
    layer.in_channels = w.shape[1];
  } else {
    layer.groups = node.attr<ir::Conv2dAttrs>().groups;
    layer.in_channels = w.shape[1] * layer.groups;
    layer.kernel_size = w.shape[2] * w.shape[3];
  }
  layer.weight = read_floats(w);
  if (node.inputs.size() > 2 && node.inputs[2] != ir::kNoTensor) {
    layer.bias_id = node.inputs[2];
    const ir::Tensor& b = graph.tensor(layer.bias_id);
    if (b.element_count() != layer.out_channels) {
      return invalid_argument("node '", node.name, "': bias '", b.name, "' has ", b.element_count(), " values for ",
                              layer.out_channels, " output channels");
    }
    layer.bias = read_floats(b);
  } else {
    layer.bias.assign(static_cast<size_t>(layer.out_channels), 0.0f);
  }
  return layer;
}

Status store_layer_weights(ir::Graph& graph, LayerWeights& layer) {
  ir::Node& node = graph.nodes[static_cast<size_t>(layer.node)];
  graph.tensor(layer.weight_id).data = buffer_of(layer.weight);
  if (layer.bias_id != ir::kNoTensor) {
    graph.tensor(layer.bias_id).data = buffer_of(layer.bias);
    return Status::Ok();
  }
  if (std::all_of(layer.bias.begin(), layer.bias.end(), [](float b) { return b == 0.0f; })) return Status::Ok();
  std::unordered_set<std::string> names;
  for (const ir::Tensor& t : graph.tensors) names.insert(t.name);
  std::string name = node.name + ".bias";
  for (int suffix = 1; names.count(name) > 0; ++suffix) name = node.name + ".bias_" + std::to_string(suffix);
  layer.bias_id = graph.add_float_constant(name, {layer.out_channels}, layer.bias);
  if (node.inputs.size() > 2) {
    node.inputs[2] = layer.bias_id;
  } else {
    node.inputs.push_back(layer.bias_id);
  }
  return Status::Ok();
}

std::vector<float> quantize_dequantize_weight(const LayerWeights& layer, const Int8Options& options) {
  const int bits = std::clamp(options.weight_bits, 2, 8);
  const int32_t qmax = (1 << (bits - 1)) - 1;
  std::vector<float> out(layer.weight.size());
  const int64_t size = layer.filter_size();
  float tensor_range = 0.0f;
  for (float w : layer.weight) tensor_range = std::max(tensor_range, std::fabs(w));
  for (int64_t o = 0; o < layer.out_channels; ++o) {
    const float range = options.per_tensor_weights ? tensor_range : layer.output_channel_range(o);
    const float scale = ir::choose_weight_scale(range, bits);
    for (int64_t k = o * size; k < (o + 1) * size; ++k) {
      const auto i = static_cast<size_t>(k);
      out[i] = ir::dequantize_value(ir::quantize_value(layer.weight[i], scale, 0, -qmax, qmax), scale, 0);
    }
  }
  return out;
}

std::vector<int> reader_counts(const ir::Graph& graph) {
  std::vector<int> counts(graph.tensors.size(), 0);
  for (const ir::Node& node : graph.nodes) {
    for (ir::TensorId id : node.inputs) {
      if (graph.is_valid_tensor_id(id)) ++counts[static_cast<size_t>(id)];
    }
  }
  for (ir::TensorId id : graph.outputs) {
    if (graph.is_valid_tensor_id(id)) ++counts[static_cast<size_t>(id)];
  }
  return counts;
}

}  // namespace gramlite::compress::detail
