#include "compress/prune/channel_cost_model.h"

#include <cmath>
#include <map>

#include "gramlite/ir/stats.h"

namespace gramlite::compress::detail {

Result<ChannelCostModel> ChannelCostModel::build(const ir::Graph& graph, const std::vector<ChannelGroup>& groups,
                                                 const std::vector<double>& node_latency,
                                                 const std::vector<double>& node_fixed_latency) {
  if (!node_latency.empty() && node_latency.size() != graph.nodes.size()) {
    return invalid_argument("node latencies: ", node_latency.size(), " for a graph of ", graph.nodes.size(), " nodes");
  }
  if (!node_fixed_latency.empty() && node_fixed_latency.size() != node_latency.size()) {
    return invalid_argument("fixed node latencies: ", node_fixed_latency.size(), " for ", node_latency.size(),
                            " node latencies");
  }
  for (size_t n = 0; n < node_latency.size(); ++n) {
    if (!(node_latency[n] >= 0.0) || !std::isfinite(node_latency[n])) {
      return invalid_argument("node latency of '", graph.nodes[n].name, "' is ", node_latency[n], ", not a time");
    }
    if (!node_fixed_latency.empty() && !(node_fixed_latency[n] >= 0.0 && node_fixed_latency[n] <= node_latency[n])) {
      return invalid_argument("fixed latency of '", graph.nodes[n].name, "' is ", node_fixed_latency[n],
                              ", not a time within its latency ", node_latency[n]);
    }
  }
  ChannelCostModel model;
  std::map<std::pair<ir::TensorId, int>, int> space_of;  // (tensor, dim) -> index
  for (size_t g = 0; g < groups.size(); ++g) {
    for (const ChannelMember& m : groups[g].members) {
      auto [it, inserted] = space_of.emplace(std::make_pair(m.tensor, m.dim), static_cast<int>(model.spaces_.size()));
      if (inserted) model.spaces_.push_back(Space{m.size, {}});
      model.spaces_[static_cast<size_t>(it->second)].groups.emplace_back(g, m.per_channel);
    }
  }
  const auto find = [&space_of](ir::TensorId tensor, int dim) {
    const auto it = space_of.find({tensor, dim});
    return it == space_of.end() ? -1 : it->second;
  };

  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs, ir::node_costs(graph));
  std::vector<bool> counted(graph.tensors.size(), false);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    NodeTerm term;
    term.macs = costs[n].macs;
    term.latency = node_latency.empty() ? 0.0 : node_latency[n];
    term.fixed_latency = node_fixed_latency.empty() ? 0.0 : node_fixed_latency[n];
    term.output = find(node.outputs[0], 1);
    const bool dense_conv = node.kind == ir::OpKind::kConv2d && node.attr<ir::Conv2dAttrs>().groups == 1;
    if (dense_conv || node.kind == ir::OpKind::kLinear) term.contracted = find(node.inputs[0], 1);
    model.nodes_.push_back(term);
    for (const ir::TensorId id : node.inputs) {
      const ir::Tensor& t = graph.tensor(id);
      if (!t.is_constant() || counted[static_cast<size_t>(id)]) continue;
      counted[static_cast<size_t>(id)] = true;
      ConstantTerm c;
      c.elements = t.element_count();
      for (size_t d = 0; d < t.shape.size(); ++d) {
        const int s = find(id, static_cast<int>(d));
        if (s >= 0) c.spaces.push_back(s);
      }
      model.constants_.push_back(std::move(c));
    }
  }
  return model;
}

double ChannelCostModel::kept_fraction(int space, const std::vector<int64_t>& removed) const {
  if (space < 0) return 1.0;
  const Space& s = spaces_[static_cast<size_t>(space)];
  int64_t kept = s.size;
  for (const auto& [group, per_channel] : s.groups) kept -= removed[group] * per_channel;
  return static_cast<double>(kept) / static_cast<double>(s.size);
}

int64_t ChannelCostModel::macs(const std::vector<int64_t>& removed) const {
  int64_t total = 0;
  for (const NodeTerm& t : nodes_) {
    const double f = kept_fraction(t.output, removed) * kept_fraction(t.contracted, removed);
    total += std::llround(static_cast<double>(t.macs) * f);
  }
  return total;
}

int64_t ChannelCostModel::parameters(const std::vector<int64_t>& removed) const {
  int64_t total = 0;
  for (const ConstantTerm& c : constants_) {
    double f = 1.0;
    for (const int s : c.spaces) f *= kept_fraction(s, removed);
    total += std::llround(static_cast<double>(c.elements) * f);
  }
  return total;
}

double ChannelCostModel::latency(const std::vector<int64_t>& removed) const {
  double total = 0;
  for (const NodeTerm& t : nodes_) {
    if (t.latency == 0.0) continue;
    const double f = kept_fraction(t.output, removed) * kept_fraction(t.contracted, removed);
    total += t.fixed_latency + (t.latency - t.fixed_latency) * f;
  }
  return total;
}

double ChannelCostModel::measure(PruningTarget target, const std::vector<int64_t>& removed) const {
  switch (target) {
    case PruningTarget::kMacs:
      return static_cast<double>(macs(removed));
    case PruningTarget::kParameters:
      return static_cast<double>(parameters(removed));
    case PruningTarget::kLatency:
      return latency(removed);
  }
  return 0;
}

}  // namespace gramlite::compress::detail
