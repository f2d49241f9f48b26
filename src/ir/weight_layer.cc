#include "gramlite/ir/weight_layer.h"

#include <unordered_set>

#include "gramlite/ir/op_traits.h"

namespace gramlite::ir {
namespace {

std::vector<TensorId> constants_where(const Graph& graph, const Node& node, bool (*wanted)(OpKind, size_t)) {
  std::vector<TensorId> out;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorId id = node.inputs[i];
    if (wanted(node.kind, i) && graph.is_valid_tensor_id(id) && graph.tensor(id).is_constant()) out.push_back(id);
  }
  return out;
}

}  // namespace

bool is_weight_layer_kind(OpKind kind) {
  const ChannelRule rule = op_traits(kind).channel_rule;
  return rule == ChannelRule::kConvolution || rule == ChannelRule::kLinear;
}

bool is_depthwise_convolution(const Graph& graph, const Node& node) {
  if (node.kind != OpKind::kConv2d || node.inputs.size() < 2 || !graph.is_valid_tensor_id(node.inputs[1])) return false;
  const auto* attrs = std::get_if<Conv2dAttrs>(&node.attrs);
  const Shape& weight = graph.tensor(node.inputs[1]).shape;
  return attrs != nullptr && attrs->groups > 1 && weight.size() == 4 && weight[1] == 1;
}

std::vector<WeightLayer> find_weight_layers(const Graph& graph) {
  const std::vector<std::vector<int>> consumers = graph.consumers();
  std::vector<WeightLayer> layers;
  for (size_t index = 0; index < graph.nodes.size(); ++index) {
    const Node& node = graph.nodes[index];
    if (!is_weight_layer_kind(node.kind)) continue;
    WeightLayer layer;
    layer.node = static_cast<int>(index);
    if (node.outputs.size() == 1 && graph.is_valid_tensor_id(node.outputs[0])) {
      const std::vector<int>& readers = consumers[static_cast<size_t>(node.outputs[0])];
      // Only a reader after the layer in node order: "right after it", also in an unsorted graph.
      if (readers.size() == 1 && readers[0] > layer.node &&
          graph.nodes[static_cast<size_t>(readers[0])].kind == OpKind::kBatchNorm) {
        layer.batch_norm = readers[0];
      }
    }
    layers.push_back(layer);
  }
  return layers;
}

std::vector<int> unattached_batch_norms(const Graph& graph, const std::vector<WeightLayer>& layers) {
  std::unordered_set<int> attached;
  for (const WeightLayer& layer : layers) {
    if (layer.batch_norm >= 0) attached.insert(layer.batch_norm);
  }
  std::vector<int> out;
  for (size_t index = 0; index < graph.nodes.size(); ++index) {
    if (graph.nodes[index].kind == OpKind::kBatchNorm && !attached.count(static_cast<int>(index))) {
      out.push_back(static_cast<int>(index));
    }
  }
  return out;
}

std::vector<TensorId> trainable_constants(const Graph& graph, const Node& node) {
  return constants_where(graph, node, is_trainable_input);
}

std::vector<TensorId> trainable_parameters(const Graph& graph, const WeightLayer& layer) {
  std::vector<TensorId> out = trainable_constants(graph, graph.nodes[static_cast<size_t>(layer.node)]);
  if (layer.batch_norm >= 0) {
    const std::vector<TensorId> bn = trainable_constants(graph, graph.nodes[static_cast<size_t>(layer.batch_norm)]);
    out.insert(out.end(), bn.begin(), bn.end());
  }
  return out;
}

std::vector<TensorId> buffer_parameters(const Graph& graph, const WeightLayer& layer) {
  std::vector<TensorId> out = constants_where(graph, graph.nodes[static_cast<size_t>(layer.node)], is_buffer_input);
  if (layer.batch_norm >= 0) {
    const std::vector<TensorId> bn =
        constants_where(graph, graph.nodes[static_cast<size_t>(layer.batch_norm)], is_buffer_input);
    out.insert(out.end(), bn.begin(), bn.end());
  }
  return out;
}

}  // namespace gramlite::ir
