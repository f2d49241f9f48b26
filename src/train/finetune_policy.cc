#include "train/finetune_policy.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "zoo/classifier_head.h"

namespace gramlite::train {
namespace {

using ir::OpKind;

void add_constant_inputs(const ir::Graph& graph, const ir::Node& node, size_t first, size_t last,
                         std::vector<std::string>& out) {
  for (size_t i = first; i < node.inputs.size() && i <= last; ++i) {
    const ir::TensorId id = node.inputs[i];
    if (id != ir::kNoTensor && graph.tensor(id).is_constant()) out.push_back(graph.tensor(id).name);
  }
}

}  // namespace

Result<FinetunePlan> plan_finetune(const ir::Graph& graph, double fraction) {
  if (!std::isfinite(fraction) || fraction < 0.0 || fraction > 1.0) {
    return invalid_argument("the fine-tune fraction must be in [0, 1], got ", fraction);
  }
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(graph));
  const std::vector<std::vector<int>> consumers = graph.consumers();

  FinetunePlan plan;
  plan.fraction = fraction;
  std::unordered_set<int> attached_batch_norms;
  WeightLayer loose;  // BatchNorms that follow no weight layer, waiting for the next one
  for (size_t index = 0; index < graph.nodes.size(); ++index) {
    const ir::Node& node = graph.nodes[index];
    if (node.kind == OpKind::kBatchNorm && !attached_batch_norms.count(static_cast<int>(index))) {
      loose.batch_norms.push_back(node.name);
      add_constant_inputs(graph, node, 1, 2, loose.tensors);
      continue;
    }
    if (node.kind != OpKind::kConv2d && node.kind != OpKind::kLinear) continue;
    WeightLayer layer;
    layer.node = node.name;
    add_constant_inputs(graph, node, 1, 2, layer.tensors);
    const auto& readers = consumers[static_cast<size_t>(node.outputs[0])];
    if (readers.size() == 1 && graph.nodes[static_cast<size_t>(readers[0])].kind == OpKind::kBatchNorm) {
      const ir::Node& bn = graph.nodes[static_cast<size_t>(readers[0])];
      layer.batch_norms.push_back(bn.name);
      add_constant_inputs(graph, bn, 1, 2, layer.tensors);
      attached_batch_norms.insert(readers[0]);
    }
    layer.batch_norms.insert(layer.batch_norms.end(), loose.batch_norms.begin(), loose.batch_norms.end());
    layer.tensors.insert(layer.tensors.end(), loose.tensors.begin(), loose.tensors.end());
    loose = WeightLayer{};
    if (static_cast<int>(index) == head.node) {
      plan.head = std::move(layer);
    } else {
      plan.backbone.push_back(std::move(layer));
    }
  }
  const auto count = static_cast<int>(plan.backbone.size());
  plan.unfrozen_layers = std::min(count, static_cast<int>(std::floor(fraction * count + 0.5)));
  const int first_trained = count - plan.unfrozen_layers;
  for (int i = 0; i < count; ++i) {
    const WeightLayer& layer = plan.backbone[static_cast<size_t>(i)];
    auto& destination = i >= first_trained ? plan.trainable_tensors : plan.frozen_batch_norms;
    const auto& names = i >= first_trained ? layer.tensors : layer.batch_norms;
    destination.insert(destination.end(), names.begin(), names.end());
  }
  plan.trainable_tensors.insert(plan.trainable_tensors.end(), plan.head.tensors.begin(), plan.head.tensors.end());
  // BatchNorms after the last weight layer (rare) train with the head.
  plan.trainable_tensors.insert(plan.trainable_tensors.end(), loose.tensors.begin(), loose.tensors.end());
  return plan;
}

}  // namespace gramlite::train
