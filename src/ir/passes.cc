#include "gramlite/ir/passes.h"

#include <cmath>
#include <cstring>

#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::ir {
namespace {

// Removes the nodes flagged in `remove`, keeping the order of the rest.
void erase_nodes(Graph& graph, const std::vector<bool>& remove) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!remove[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
}

bool is_float_constant(const Graph& graph, TensorId id) {
  const Tensor& t = graph.tensor(id);
  return t.is_constant() && t.dtype == DType::kFloat32 && t.quant.empty() &&
         t.sparsity.encoding == SparsityEncoding::kDense;
}

// Whether `id` is read by exactly one node and is not a graph output, so rewriting its producer
// cannot change what anyone else sees.
bool has_single_use(const Graph& graph, const std::vector<std::vector<int>>& consumers, TensorId id) {
  return consumers[static_cast<size_t>(id)].size() == 1 && !graph.is_graph_output(id);
}

// Number of nodes that read constant `id` (weights may be shared between nodes).
size_t constant_use_count(const Graph& graph, TensorId id) {
  size_t uses = 0;
  for (const Node& node : graph.nodes) {
    for (TensorId in : node.inputs) uses += in == id ? 1 : 0;
  }
  return uses;
}

// Stores `values` as the data of constant `id` if the producer alone uses it (and it is not a
// graph output, whose value must not change), else as a new constant; returns the tensor id to use.
TensorId replace_constant(Graph& graph, TensorId id, const std::vector<float>& values, const std::string& new_name) {
  Buffer data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  if (id != kNoTensor && constant_use_count(graph, id) == 1 && !graph.is_graph_output(id)) {
    graph.tensor(id).data = std::move(data);
    return id;
  }
  Shape shape = id != kNoTensor ? graph.tensor(id).shape : Shape{static_cast<int64_t>(values.size())};
  return graph.add_constant(new_name, std::move(shape), DType::kFloat32, std::move(data));
}

std::vector<float> float_values(const Tensor& t) {
  std::vector<float> values(static_cast<size_t>(t.element_count()));
  std::memcpy(values.data(), t.data.data(), values.size() * sizeof(float));
  return values;
}

}  // namespace

Result<int> fold_batch_norm(Graph& graph) {
  int folded = 0;
  const auto consumers = graph.consumers();
  const auto producers = graph.producers();
  // Shapes before any rewrite, to tell whether a BatchNorm's channel axis (dim 1) is a Linear's
  // output-feature axis (the last dim): only for rank-2 outputs. If they cannot be inferred, no
  // Linear is folded.
  const Result<std::vector<Shape>> shapes = infer_shapes_for_batch(graph, 1);
  const auto rank_of = [&](TensorId id) -> size_t {
    return shapes.ok() ? (*shapes)[static_cast<size_t>(id)].size() : 0;
  };
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t b = 0; b < graph.nodes.size(); ++b) {
    const Node& bn = graph.nodes[b];
    if (bn.kind != OpKind::kBatchNorm) continue;
    const TensorId x = bn.inputs[0];
    const int p = producers[static_cast<size_t>(x)];
    if (p < 0 || remove[static_cast<size_t>(p)]) continue;
    Node& producer = graph.nodes[static_cast<size_t>(p)];
    if (!is_weight_layer_kind(producer.kind) ||
        producer.fused_activation != Activation::kNone || !has_single_use(graph, consumers, x)) {
      continue;
    }
    if (producer.kind == OpKind::kLinear && rank_of(x) != 2) continue;  // BN's dim 1 is not the features
    bool all_float = is_float_constant(graph, producer.inputs[1]);
    if (producer.inputs.size() > 2) all_float = all_float && is_float_constant(graph, producer.inputs[2]);
    for (size_t i = 1; i < 5; ++i) all_float = all_float && is_float_constant(graph, bn.inputs[i]);
    if (!all_float) continue;

    const std::vector<float> gamma = float_values(graph.tensor(bn.inputs[1]));
    const std::vector<float> beta = float_values(graph.tensor(bn.inputs[2]));
    const std::vector<float> mean = float_values(graph.tensor(bn.inputs[3]));
    const std::vector<float> var = float_values(graph.tensor(bn.inputs[4]));
    const double eps = bn.attr<BatchNormAttrs>().epsilon;
    std::vector<float> weight = float_values(graph.tensor(producer.inputs[1]));
    const size_t channels = gamma.size();
    if (channels == 0 || weight.size() % channels != 0 ||
        graph.tensor(producer.inputs[1]).shape[0] != static_cast<int64_t>(channels)) {
      continue;  // channel axis of the producer does not match the batch-norm; leave it alone
    }
    std::vector<float> bias(channels, 0.0f);
    if (producer.inputs.size() > 2) bias = float_values(graph.tensor(producer.inputs[2]));
    const size_t per_channel = weight.size() / channels;
    for (size_t c = 0; c < channels; ++c) {
      const double scale = static_cast<double>(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
      for (size_t k = 0; k < per_channel; ++k) {
        float& w = weight[c * per_channel + k];
        w = static_cast<float>(static_cast<double>(w) * scale);
      }
      bias[c] = static_cast<float>((static_cast<double>(bias[c]) - mean[c]) * scale + beta[c]);
    }
    const TensorId weight_id = producer.inputs[1];
    const TensorId bias_id = producer.inputs.size() > 2 ? producer.inputs[2] : kNoTensor;
    const std::string weight_name = graph.tensor(weight_id).name + ".bn_folded";
    const std::string bias_name = producer.name + ".bias";
    // add_constant may reallocate graph.tensors but not graph.nodes; `producer` stays valid.
    producer.inputs[1] = replace_constant(graph, weight_id, weight, weight_name);
    const TensorId new_bias = replace_constant(graph, bias_id, bias, bias_name);
    if (producer.inputs.size() > 2) {
      producer.inputs[2] = new_bias;
    } else {
      producer.inputs.push_back(new_bias);
    }
    producer.fused_activation = bn.fused_activation;
    producer.outputs[0] = bn.outputs[0];
    remove[b] = true;
    ++folded;
  }
  erase_nodes(graph, remove);
  return folded;
}

Result<int> fuse_activations(Graph& graph) {
  int fused = 0;
  const auto consumers = graph.consumers();
  const auto producers = graph.producers();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t a = 0; a < graph.nodes.size(); ++a) {
    const Node& act = graph.nodes[a];
    const std::optional<Activation> activation = activation_of(act.kind);
    if (!activation) continue;
    const TensorId x = act.inputs[0];
    const int p = producers[static_cast<size_t>(x)];
    if (p < 0 || remove[static_cast<size_t>(p)]) continue;
    Node& producer = graph.nodes[static_cast<size_t>(p)];
    if (!can_fuse_activation(producer.kind) || producer.fused_activation != Activation::kNone ||
        !has_single_use(graph, consumers, x)) {
      continue;
    }
    // An int8 op fuses only clamps (ReLU, ReLU6); other activations are lookup-table nodes.
    const bool clamp = *activation == Activation::kRelu || *activation == Activation::kRelu6;
    if (graph.tensor(x).dtype == DType::kInt8 && !clamp) continue;
    producer.fused_activation = *activation;
    producer.outputs[0] = act.outputs[0];
    remove[a] = true;
    ++fused;
  }
  erase_nodes(graph, remove);
  return fused;
}

Result<int> remove_identity_ops(Graph& graph) {
  int removed = 0;
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.kind != OpKind::kDropout) continue;
    const TensorId from = node.outputs[0];
    const TensorId to = node.inputs[0];
    for (Node& other : graph.nodes) {
      for (TensorId& in : other.inputs) in = in == from ? to : in;
    }
    for (TensorId& out : graph.outputs) out = out == from ? to : out;
    remove[i] = true;
    ++removed;
  }
  erase_nodes(graph, remove);
  return removed;
}

Result<int> remove_dead_nodes(Graph& graph) {
  std::vector<bool> live_tensor(graph.tensors.size(), false);
  for (TensorId id : graph.outputs) {
    if (graph.is_valid_tensor_id(id)) live_tensor[static_cast<size_t>(id)] = true;
  }
  std::vector<bool> remove(graph.nodes.size(), true);
  for (size_t i = graph.nodes.size(); i-- > 0;) {  // reverse topological order
    const Node& node = graph.nodes[i];
    bool live = false;
    for (TensorId out : node.outputs) live = live || live_tensor[static_cast<size_t>(out)];
    if (!live) continue;
    remove[i] = false;
    for (TensorId in : node.inputs) live_tensor[static_cast<size_t>(in)] = true;
  }
  int removed = 0;
  for (bool r : remove) removed += r ? 1 : 0;
  erase_nodes(graph, remove);

  // Renumber: keep graph inputs, outputs and every tensor a remaining node touches.
  std::vector<bool> keep(graph.tensors.size(), false);
  for (TensorId id : graph.inputs) keep[static_cast<size_t>(id)] = true;
  for (TensorId id : graph.outputs) keep[static_cast<size_t>(id)] = true;
  for (const Node& node : graph.nodes) {
    for (TensorId id : node.inputs) keep[static_cast<size_t>(id)] = true;
    for (TensorId id : node.outputs) keep[static_cast<size_t>(id)] = true;
  }
  std::vector<TensorId> new_id(graph.tensors.size(), kNoTensor);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (!keep[t]) continue;
    new_id[t] = static_cast<TensorId>(kept.size());
    kept.push_back(std::move(graph.tensors[t]));
  }
  graph.tensors = std::move(kept);
  const auto remap = [&](std::vector<TensorId>& ids) {
    for (TensorId& id : ids) id = new_id[static_cast<size_t>(id)];
  };
  remap(graph.inputs);
  remap(graph.outputs);
  for (Node& node : graph.nodes) {
    remap(node.inputs);
    remap(node.outputs);
  }
  return removed;
}

Status optimize_for_inference(Graph& graph) {
  GRAMLITE_RETURN_IF_ERROR(validate(graph));
  GRAMLITE_RETURN_IF_ERROR(remove_identity_ops(graph).status());
  GRAMLITE_RETURN_IF_ERROR(fold_batch_norm(graph).status());
  GRAMLITE_RETURN_IF_ERROR(fuse_activations(graph).status());
  GRAMLITE_RETURN_IF_ERROR(remove_dead_nodes(graph).status());
  return validate(graph);
}

}  // namespace gramlite::ir
