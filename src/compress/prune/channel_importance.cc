// Channel importance criteria and their per-group normalisation.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "compress/prune/channel_slices.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::compress {
namespace {

const ir::Node* reading_node(const ir::Graph& graph, const ChannelMember& m) {
  if (m.node < 0 || static_cast<size_t>(m.node) >= graph.nodes.size()) return nullptr;
  return &graph.nodes[static_cast<size_t>(m.node)];
}

// Calls f(channel, flat element index) for every element of the member's slices, channel by channel.
template <typename F>
void for_each_channel_element(const ir::Graph& graph, const ChannelGroup& group, const ChannelMember& m, F&& f) {
  const detail::DimLayout layout = detail::dim_layout(graph.tensor(m.tensor).shape, m.dim);
  for (int64_t c = 0; c < group.channels; ++c) {
    for (int64_t j = 0; j < m.per_channel; ++j) {
      detail::for_each_in_slice(layout, m.indices[static_cast<size_t>(c * m.per_channel + j)],
                                [&](int64_t e) { f(c, e); });
    }
  }
}

// Whether a member is input `input_index` of an op `kind` whose filters (dim 0) it holds.
bool is_output_parameter(const ir::Graph& graph, const ChannelMember& m, bool (*kind_matches)(ir::OpKind),
                         int input_index) {
  const ir::Node* node = reading_node(graph, m);
  return m.role == ChannelMemberRole::kOutputParameter && node != nullptr && kind_matches(node->kind) &&
         m.input_index == input_index && graph.tensor(m.tensor).is_constant();
}

bool is_batch_norm(ir::OpKind kind) { return kind == ir::OpKind::kBatchNorm; }

ChannelImportance filter_norm(bool l2) {
  return [l2](const ir::Graph& graph, const ChannelGroup& group) -> Result<std::vector<double>> {
    std::vector<double> scores(static_cast<size_t>(group.channels), 0.0);
    bool any = false;
    for (const ChannelMember& m : group.members) {
      if (!is_output_parameter(graph, m, ir::is_weight_layer_kind, 1)) continue;
      any = true;
      const float* w = graph.tensor(m.tensor).data.as<float>();
      std::vector<double> norm(static_cast<size_t>(group.channels), 0.0);
      for_each_channel_element(graph, group, m, [&](int64_t c, int64_t e) {
        const double v = w[e];
        norm[static_cast<size_t>(c)] += l2 ? v * v : std::fabs(v);
      });
      for (size_t c = 0; c < norm.size(); ++c) scores[c] += l2 ? std::sqrt(norm[c]) : norm[c];
    }
    if (!any) return std::vector<double>{};
    return scores;
  };
}

}  // namespace

ChannelImportance l1_importance() { return filter_norm(false); }
ChannelImportance l2_importance() { return filter_norm(true); }

ChannelImportance batch_norm_importance() {
  return [](const ir::Graph& graph, const ChannelGroup& group) -> Result<std::vector<double>> {
    std::vector<double> scores(static_cast<size_t>(group.channels), 0.0);
    bool any = false;
    for (const ChannelMember& m : group.members) {
      if (!is_output_parameter(graph, m, is_batch_norm, 1)) continue;  // input 1: gamma
      any = true;
      const float* gamma = graph.tensor(m.tensor).data.as<float>();
      for_each_channel_element(graph, group, m,
                               [&](int64_t c, int64_t e) { scores[static_cast<size_t>(c)] += std::fabs(gamma[e]); });
    }
    if (!any) return std::vector<double>{};
    return scores;
  };
}

ChannelImportance taylor_importance(std::shared_ptr<const TaylorScores> scores, TaylorReduction reduction) {
  return [scores, reduction](const ir::Graph& graph, const ChannelGroup& group) -> Result<std::vector<double>> {
    if (scores == nullptr) return invalid_argument("taylor importance: no accumulated scores were given");
    std::vector<double> sums(static_cast<size_t>(group.channels), 0.0);
    for (const ChannelMember& m : group.members) {
      const ir::Node* node = reading_node(graph, m);
      if (m.role == ChannelMemberRole::kActivation || node == nullptr ||
          !ir::is_trainable_input(node->kind, static_cast<size_t>(m.input_index))) {
        continue;
      }
      const auto it = scores->find(m.name);
      if (it == scores->end()) {
        return not_found("taylor importance: no accumulated scores for trainable tensor '", m.name, "' (group '",
                         group.name, "')");
      }
      const ir::Tensor& t = graph.tensor(m.tensor);
      if (static_cast<int64_t>(it->second.size()) != t.element_count()) {
        return invalid_argument("taylor importance: tensor '", m.name, "' has ", t.element_count(),
                                " elements but ", it->second.size(), " accumulated scores");
      }
      const float* v = it->second.data();
      for_each_channel_element(graph, group, m, [&](int64_t c, int64_t e) { sums[static_cast<size_t>(c)] += v[e]; });
    }
    for (double& s : sums) s = reduction == TaylorReduction::kSquared ? s * s : std::fabs(s);
    return sums;
  };
}

Result<ChannelImportance> channel_importance(std::string_view name, std::shared_ptr<const TaylorScores> taylor) {
  if (name == "l1") return l1_importance();
  if (name == "l2") return l2_importance();
  if (name == "bn") return batch_norm_importance();
  if (name == "taylor") {
    if (taylor == nullptr) return invalid_argument("criterion 'taylor' needs accumulated gradient scores");
    return taylor_importance(std::move(taylor));
  }
  return invalid_argument("unknown pruning criterion '", name, "' (expected l1, l2, bn or taylor)");
}

Result<GroupScores> score_channel_groups(const ir::Graph& graph, const ChannelGroups& groups,
                                         const ChannelImportance& importance) {
  if (!importance) return invalid_argument("score_channel_groups: no importance criterion");
  GroupScores result(groups.groups.size());
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const ChannelGroup& group = groups.groups[g];
    if (!group.prunable) continue;
    Result<std::vector<double>> raw = importance(graph, group);
    if (!raw.ok()) return raw.status().with_context(str_cat("channel group '", group.name, "'"));
    std::vector<double> scores = std::move(raw).value();
    if (scores.empty()) continue;
    if (static_cast<int64_t>(scores.size()) != group.channels) {
      return invalid_argument("channel group '", group.name, "': the criterion gave ", scores.size(),
                              " scores for ", group.channels, " channels");
    }
    double sum = 0.0;
    for (size_t c = 0; c < scores.size(); ++c) {
      if (!std::isfinite(scores[c]) || scores[c] < 0.0) {
        return invalid_argument("channel group '", group.name, "': channel ", c, " has importance ", scores[c],
                                " (must be finite and >= 0)");
      }
      sum += scores[c];
    }
    // Mean normalisation: every group's scores average 1, so a global ranking compares a channel
    // with its own group's typical channel, not with other layers' weight scales.
    if (sum > 0.0) {
      const double mean = sum / static_cast<double>(scores.size());
      for (double& s : scores) s /= mean;
    }
    result[g] = std::move(scores);
  }
  return result;
}

}  // namespace gramlite::compress
