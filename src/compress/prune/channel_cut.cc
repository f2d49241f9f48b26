// Check, then prune: the cut of a plan into a smaller dense graph, and its soft twin that only
// zeroes the channels.
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "compress/prune/channel_cost_model.h"
#include "compress/prune/channel_slices.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/stats.h"
#include "gramlite/ir/validate.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::compress {
namespace {

using SpaceKey = std::pair<ir::TensorId, int>;
// For every channel space the plan touches: which of its indices go (true = removed).
using RemovedIndices = std::map<SpaceKey, std::vector<bool>>;

Status check_plan(const ChannelGroups& groups, const ChannelPruningPlan& plan) {
  if (plan.removed.size() != groups.groups.size()) {
    return invalid_argument("channel pruning plan: ", plan.removed.size(), " lists for ", groups.groups.size(),
                            " groups");
  }
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const ChannelGroup& group = groups.groups[g];
    const std::vector<int64_t>& r = plan.removed[g];
    if (r.empty()) continue;
    if (!group.prunable) {
      return invalid_argument("channel pruning plan removes channels of group '", group.name,
                              "', which is not prunable: ", group.reason);
    }
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] < 0 || r[i] >= group.channels || (i > 0 && r[i] <= r[i - 1])) {
        return invalid_argument("channel pruning plan: group '", group.name, "' removes channel ", r[i],
                                " (indices must be sorted, distinct, below ", group.channels, ")");
      }
    }
    if (static_cast<int64_t>(r.size()) >= group.channels) {
      return invalid_argument("channel pruning plan removes every channel of group '", group.name, "'");
    }
  }
  return Status::Ok();
}

RemovedIndices removed_indices(const ChannelGroups& groups, const ChannelPruningPlan& plan) {
  RemovedIndices removed;
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    if (plan.removed[g].empty()) continue;
    for (const ChannelMember& m : groups.groups[g].members) {
      std::vector<bool>& r = removed[{m.tensor, m.dim}];
      r.resize(static_cast<size_t>(m.size), false);
      for (const int64_t c : plan.removed[g]) {
        for (int64_t j = 0; j < m.per_channel; ++j) r[static_cast<size_t>(m.indices[static_cast<size_t>(c * m.per_channel + j)])] = true;
      }
    }
  }
  return removed;
}

int64_t count_removed(const std::vector<bool>& removed) {
  int64_t n = 0;
  for (const bool r : removed) n += r ? 1 : 0;
  return n;
}

// `t` without the indices of `dim` that `removed` marks, in a new buffer.
Status slice_constant(ir::Tensor& t, int dim, const std::vector<bool>& removed) {
  const detail::DimLayout layout = detail::dim_layout(t.shape, dim);
  const size_t element_size = ir::dtype_size(t.dtype);
  const int64_t kept = layout.size - count_removed(removed);
  const auto row_bytes = static_cast<size_t>(layout.inner) * element_size;
  const size_t bytes = static_cast<size_t>(layout.outer * kept) * row_bytes;
  Buffer out = Buffer::allocate(bytes);
  if (bytes > 0 && out.empty()) return internal_error("out of memory slicing tensor '", t.name, "'");
  uint8_t* dst = out.mutable_data();
  const uint8_t* src = t.data.data();
  for (int64_t o = 0; o < layout.outer; ++o) {
    for (int64_t i = 0; i < layout.size; ++i) {
      if (removed[static_cast<size_t>(i)]) continue;
      std::memcpy(dst, src + static_cast<size_t>(o * layout.size + i) * row_bytes, row_bytes);
      dst += row_bytes;
    }
  }
  t.shape[static_cast<size_t>(dim)] = kept;
  t.data = std::move(out);
  return Status::Ok();
}

std::vector<int64_t> removed_counts(const ChannelPruningPlan& plan) {
  std::vector<int64_t> counts;
  for (const auto& r : plan.removed) counts.push_back(static_cast<int64_t>(r.size()));
  return counts;
}

int64_t total_macs(const std::vector<ir::NodeCost>& costs) {
  int64_t total = 0;
  for (const ir::NodeCost& c : costs) total += c.macs;
  return total;
}

std::string percent(int64_t before, int64_t after) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%", before > 0 ? 100.0 * static_cast<double>(before - after) / static_cast<double>(before) : 0.0);
  return text;
}

}  // namespace

Result<PrunedGraph> apply_channel_pruning(const ir::Graph& graph, const ChannelGroups& groups,
                                          const ChannelPruningPlan& plan) {
  // Check: the groups describe this graph, the plan fits the groups.
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("structured channel pruning"));
  GRAMLITE_RETURN_IF_ERROR(check_channel_groups(graph, groups));
  GRAMLITE_RETURN_IF_ERROR(check_plan(groups, plan));
  GRAMLITE_ASSIGN_OR_RETURN(const detail::ChannelCostModel model, detail::ChannelCostModel::build(graph, groups.groups));
  const std::vector<int64_t> counts = removed_counts(plan);
  const RemovedIndices removed = removed_indices(groups, plan);

  // Prune: slice a copy.
  PrunedGraph result;
  ir::Graph& pruned = result.graph;
  pruned = graph;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (node.kind != ir::OpKind::kConv2d || !ir::is_depthwise_convolution(graph, node)) continue;
    const auto it = removed.find({node.inputs[0], 1});
    if (it == removed.end()) continue;
    // Depthwise: one group per input channel, so the group count follows the kept channels.
    pruned.nodes[n].attr<ir::Conv2dAttrs>().groups -= static_cast<int32_t>(count_removed(it->second));
  }
  for (const auto& [key, marks] : removed) {
    ir::Tensor& t = pruned.tensor(key.first);
    if (t.is_constant()) GRAMLITE_RETURN_IF_ERROR(slice_constant(t, key.second, marks));
  }
  GRAMLITE_RETURN_IF_ERROR(ir::update_shapes(pruned).with_context("structured channel pruning: the cut graph"));
  GRAMLITE_RETURN_IF_ERROR(ir::validate(pruned).with_context("structured channel pruning: the cut graph"));

  // Check the result against the plan: every channel space lost exactly its removed indices, and
  // the MACs and parameters are what the cost model predicted.
  for (const auto& [key, marks] : removed) {
    const ir::Tensor& t = pruned.tensor(key.first);
    const int64_t expected = static_cast<int64_t>(marks.size()) - count_removed(marks);
    if (t.shape[static_cast<size_t>(key.second)] != expected) {
      return internal_error("structured channel pruning: tensor '", t.name, "' has ", t.shape[static_cast<size_t>(key.second)],
                            " entries along dim ", key.second, " after the cut, expected ", expected);
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs_before, ir::node_costs(graph));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs_after, ir::node_costs(pruned));
  ChannelPruningReport& report = result.report;
  report.macs_before = total_macs(costs_before);
  report.macs_after = total_macs(costs_after);
  report.parameters_before = ir::count_parameters(graph).total();
  report.parameters_after = ir::count_parameters(pruned).total();
  const int64_t predicted_macs = model.macs(counts);
  const int64_t predicted_parameters = model.parameters(counts);
  if (report.macs_after != predicted_macs || report.parameters_after != predicted_parameters) {
    return internal_error("structured channel pruning: the cut graph has ", report.macs_after, " MACs and ",
                          report.parameters_after, " parameters, the plan predicted ", predicted_macs, " and ",
                          predicted_parameters);
  }
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const ChannelGroup& group = groups.groups[g];
    if (group.prunable) report.groups.push_back({group.name, group.channels, group.channels - counts[g]});
  }
  return result;
}

Result<PrunedGraph> prune_channels(const ir::Graph& graph, const ChannelImportance& importance,
                                   const ChannelPruningOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(const ChannelGroups groups, find_channel_groups(graph));
  GRAMLITE_ASSIGN_OR_RETURN(const GroupScores scores, score_channel_groups(graph, groups, importance));
  GRAMLITE_ASSIGN_OR_RETURN(const ChannelPruningPlan plan, plan_channel_pruning(graph, groups, scores, options));
  return apply_channel_pruning(graph, groups, plan);
}

Result<ir::Graph> zero_pruned_channels(const ir::Graph& graph, const ChannelGroups& groups,
                                       const ChannelPruningPlan& plan) {
  GRAMLITE_RETURN_IF_ERROR(check_channel_groups(graph, groups));
  GRAMLITE_RETURN_IF_ERROR(check_plan(groups, plan));
  ir::Graph zeroed = graph;
  std::map<ir::TensorId, Buffer> copies;  // each written tensor copied once
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    if (plan.removed[g].empty()) continue;
    for (const ChannelMember& m : groups.groups[g].members) {
      const bool trainable_output = m.role == ChannelMemberRole::kOutputParameter && m.node >= 0 &&
                                    ir::is_trainable_input(graph.nodes[static_cast<size_t>(m.node)].kind,
                                                           static_cast<size_t>(m.input_index));
      if (!trainable_output && m.role != ChannelMemberRole::kConstant) continue;
      ir::Tensor& t = zeroed.tensor(m.tensor);
      if (!t.is_constant()) continue;
      auto [it, inserted] = copies.emplace(m.tensor, Buffer());
      if (inserted) {
        it->second = Buffer::copy_of(t.data.data(), t.data.size());
        if (it->second.size() != t.data.size()) return internal_error("out of memory copying tensor '", t.name, "'");
      }
      float* values = it->second.mutable_as<float>();
      const detail::DimLayout layout = detail::dim_layout(t.shape, m.dim);
      for (const int64_t c : plan.removed[g]) {
        for (int64_t j = 0; j < m.per_channel; ++j) {
          detail::for_each_in_slice(layout, m.indices[static_cast<size_t>(c * m.per_channel + j)],
                                    [values](int64_t e) { values[e] = 0.0f; });
        }
      }
    }
  }
  for (auto& [id, buffer] : copies) zeroed.tensor(id).data = std::move(buffer);
  return zeroed;
}

std::string channel_pruning_table(const ChannelPruningReport& report) {
  size_t width = 5;
  for (const GroupChange& g : report.groups) width = std::max(width, g.name.size());
  std::ostringstream out;
  char line[64];
  out << "group" << std::string(width - 5, ' ') << "  channels\n";
  for (const GroupChange& g : report.groups) {
    std::snprintf(line, sizeof line, "%6lld -> %-6lld", static_cast<long long>(g.channels_before),
                  static_cast<long long>(g.channels_after));
    out << g.name << std::string(width - g.name.size(), ' ') << "  " << line << "\n";
  }
  out << "MACs: " << report.macs_before << " -> " << report.macs_after << " ("
      << percent(report.macs_before, report.macs_after) << " removed)\n";
  out << "parameters: " << report.parameters_before << " -> " << report.parameters_after << " ("
      << percent(report.parameters_before, report.parameters_after) << " removed)\n";
  return out.str();
}

}  // namespace gramlite::compress
