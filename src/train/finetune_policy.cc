#include "gramlite/train/finetune_policy.h"

#include <algorithm>
#include <cmath>

#include "gramlite/ir/weight_layer.h"
#include "gramlite/zoo/classifier_head.h"

namespace gramlite::train {
namespace {

void add_names(const ir::Graph& graph, const std::vector<ir::TensorId>& ids, std::vector<std::string>& out) {
  for (ir::TensorId id : ids) out.push_back(graph.tensor(id).name);
}

const std::string& node_name(const ir::Graph& graph, int index) { return graph.nodes[static_cast<size_t>(index)].name; }

}  // namespace

Result<FinetunePlan> plan_finetune(const ir::Graph& graph, double fraction) {
  if (!std::isfinite(fraction) || fraction < 0.0 || fraction > 1.0) {
    return invalid_argument("the fine-tune fraction must be in [0, 1], got ", fraction);
  }
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(graph));
  const std::vector<ir::WeightLayer> layers = ir::find_weight_layers(graph);
  // BatchNorms that follow no weight layer go with the first weight layer after them.
  const std::vector<int> loose = ir::unattached_batch_norms(graph, layers);
  size_t next_loose = 0;

  FinetunePlan plan;
  plan.fraction = fraction;
  for (const ir::WeightLayer& found : layers) {
    WeightLayer layer;
    layer.node = node_name(graph, found.node);
    add_names(graph, ir::trainable_parameters(graph, found), layer.tensors);
    if (found.batch_norm >= 0) layer.batch_norms.push_back(node_name(graph, found.batch_norm));
    for (; next_loose < loose.size() && loose[next_loose] < found.node; ++next_loose) {
      const ir::Node& bn = graph.nodes[static_cast<size_t>(loose[next_loose])];
      layer.batch_norms.push_back(bn.name);
      add_names(graph, ir::trainable_constants(graph, bn), layer.tensors);
    }
    if (found.node == head.node) {
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
  for (; next_loose < loose.size(); ++next_loose) {
    add_names(graph, ir::trainable_constants(graph, graph.nodes[static_cast<size_t>(loose[next_loose])]),
              plan.trainable_tensors);
  }
  return plan;
}

}  // namespace gramlite::train
