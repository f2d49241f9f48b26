// Cross-layer equalization (Nagel et al. 2019, section 4.1): positive scaling of ReLU networks
// moves range between the output channels of one layer and the input channels of the next, so
// that per-tensor weight quantization no longer wastes its levels on one wide channel.
#include "gramlite/compress/equalization.h"

#include <cmath>
#include <map>

#include "layer_weights.h"

namespace gramlite::compress {
namespace {

struct Pair {
  int first = -1;   // node index
  int second = -1;  // node index
};

bool activation_allows_scaling(ir::Activation activation, Relu6Policy policy) {
  // HardSwish, HardSigmoid and Sigmoid are not positively homogeneous: f(x / s) != f(x) / s.
  if (activation == ir::Activation::kNone || activation == ir::Activation::kRelu) return true;
  return activation == ir::Activation::kRelu6 && policy == Relu6Policy::kReplaceWithRelu;
}

// The pairs the graph allows, in node order of their first layer.
std::vector<Pair> find_pairs(const ir::Graph& graph, Relu6Policy policy) {
  const std::vector<std::vector<int>> consumers = graph.consumers();
  const std::vector<int> readers = detail::reader_counts(graph);
  const auto owned = [&](const ir::Node& node) {  // weight and bias read by this node only
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != ir::kNoTensor && readers[static_cast<size_t>(node.inputs[i])] != 1) return false;
    }
    return true;
  };
  std::vector<Pair> pairs;
  for (size_t a = 0; a < graph.nodes.size(); ++a) {
    const ir::Node& first = graph.nodes[a];
    if (!detail::is_editable_weight_layer(graph, first) || !owned(first)) continue;
    if (!activation_allows_scaling(first.fused_activation, policy)) continue;
    const ir::TensorId out = first.outputs[0];
    if (readers[static_cast<size_t>(out)] != 1 || graph.is_graph_output(out)) continue;
    const std::vector<int>& next = consumers[static_cast<size_t>(out)];
    if (next.size() != 1) continue;
    const ir::Node& second = graph.nodes[static_cast<size_t>(next[0])];
    if (second.kind != first.kind || second.inputs.empty() || second.inputs[0] != out) continue;
    if (!detail::is_editable_weight_layer(graph, second) || !owned(second)) continue;
    // Output channel i of the first must be input channel i of the second.
    const int64_t first_out = graph.tensor(first.inputs[1]).shape[0];
    const ir::Shape& w2 = graph.tensor(second.inputs[1]).shape;
    const int64_t second_in =
        second.kind == ir::OpKind::kLinear ? w2[1] : w2[1] * second.attr<ir::Conv2dAttrs>().groups;
    if (first_out != second_in) continue;
    pairs.push_back({static_cast<int>(a), next[0]});
  }
  return pairs;
}

// Equalizes one pair once; returns the largest |s_i - 1|.
double equalize_pair(detail::LayerWeights& first, detail::LayerWeights& second) {
  double change = 0.0;
  for (int64_t i = 0; i < first.out_channels; ++i) {
    const double r1 = first.output_channel_range(i);
    const double r2 = second.input_channel_range(i);
    // A dead channel (all zeros on either side) has nothing to balance.
    if (!(r1 > 0.0) || !(r2 > 0.0) || !std::isfinite(r1) || !std::isfinite(r2)) continue;
    const double s = std::sqrt(r1 * r2) / r2;
    first.scale_output_channel(i, static_cast<float>(1.0 / s));
    second.scale_input_channel(i, static_cast<float>(s));
    change = std::max(change, std::fabs(s - 1.0));
  }
  return change;
}

}  // namespace

Result<EqualizationResult> equalize_cross_layer(ir::Graph& prepared, const EqualizationOptions& options) {
  if (!(options.tolerance >= 0.0) || options.max_sweeps < 1) {
    return invalid_argument("equalize_cross_layer: tolerance must be >= 0 and max_sweeps >= 1");
  }
  const std::vector<Pair> pairs = find_pairs(prepared, options.relu6);
  EqualizationResult result;
  result.pairs = static_cast<int>(pairs.size());
  if (pairs.empty()) return result;

  std::map<int, detail::LayerWeights> layers;  // every layer of a pair, loaded once
  for (const Pair& pair : pairs) {
    for (int node : {pair.first, pair.second}) {
      if (layers.count(node) > 0) continue;
      GRAMLITE_ASSIGN_OR_RETURN(detail::LayerWeights layer, detail::load_layer_weights(prepared, node));
      layers.emplace(node, std::move(layer));
    }
  }
  // A pair alone settles in one step; chains sharing a layer need sweeps until they agree.
  for (result.sweeps = 1; result.sweeps <= options.max_sweeps; ++result.sweeps) {
    double change = 0.0;
    for (const Pair& pair : pairs) change = std::max(change, equalize_pair(layers.at(pair.first), layers.at(pair.second)));
    result.last_change = change;
    if (change <= options.tolerance) break;
  }
  result.sweeps = std::min(result.sweeps, options.max_sweeps);

  for (auto& [node, layer] : layers) GRAMLITE_RETURN_IF_ERROR(detail::store_layer_weights(prepared, layer));
  for (const Pair& pair : pairs) {
    ir::Node& first = prepared.nodes[static_cast<size_t>(pair.first)];
    if (first.fused_activation == ir::Activation::kRelu6) {
      first.fused_activation = ir::Activation::kRelu;
      ++result.relu6_replaced;
    }
  }
  return result;
}

Result<int> equalize_cross_layer(ir::Graph& prepared) {
  GRAMLITE_ASSIGN_OR_RETURN(EqualizationResult result, equalize_cross_layer(prepared, EqualizationOptions{}));
  return result.pairs;
}

}  // namespace gramlite::compress
