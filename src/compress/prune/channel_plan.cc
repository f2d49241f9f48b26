// The greedy global plan: which channels of which groups to remove to reach a MAC or parameter
// or latency target, in chunks that keep every group's count a multiple of round_to.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compress/prune/channel_cost_model.h"
#include "gramlite/compress/channel_pruning.h"

namespace gramlite::compress {
namespace {

struct Candidate {
  size_t group = 0;
  int64_t channels = 0;
  int64_t floor_keep = 1;           // the fewest channels the limits let it keep
  std::vector<int64_t> order;       // channel indices, least important first
  const std::vector<double>* scores = nullptr;
  int64_t removed = 0;
};

// The kept count after the next chunk: the next multiple of round_to below the current count.
int64_t next_kept(int64_t kept, int64_t round_to) { return ((kept - 1) / round_to) * round_to; }

Status check_options(const ChannelPruningOptions& o) {
  if (!(o.ratio >= 0.0 && o.ratio < 1.0)) return invalid_argument("pruning ratio ", o.ratio, " is not in [0, 1)");
  if (o.round_to < 1) return invalid_argument("round_to ", o.round_to, " must be at least 1");
  if (o.min_channels < 1) return invalid_argument("min_channels ", o.min_channels, " must be at least 1");
  if (!(o.max_group_fraction >= 0.0 && o.max_group_fraction <= 1.0)) {
    return invalid_argument("max_group_fraction ", o.max_group_fraction, " is not in [0, 1]");
  }
  if (!(o.reference >= 0) || !std::isfinite(o.reference)) return invalid_argument("reference ", o.reference, " is not >= 0");
  if (o.target == PruningTarget::kLatency && o.node_latency.empty()) {
    return invalid_argument("the latency target needs each node's measured latency (node_latency)");
  }
  return Status::Ok();
}

}  // namespace

const char* pruning_target_name(PruningTarget target) {
  switch (target) {
    case PruningTarget::kMacs:
      return "macs";
    case PruningTarget::kParameters:
      return "parameters";
    case PruningTarget::kLatency:
      return "latency";
  }
  return "?";
}

std::optional<PruningTarget> parse_pruning_target(std::string_view name) {
  for (const PruningTarget t : {PruningTarget::kMacs, PruningTarget::kParameters, PruningTarget::kLatency}) {
    if (name == pruning_target_name(t)) return t;
  }
  return std::nullopt;
}

Result<ChannelPruningPlan> plan_channel_pruning(const ir::Graph& graph, const ChannelGroups& groups,
                                                const GroupScores& scores, const ChannelPruningOptions& options) {
  GRAMLITE_RETURN_IF_ERROR(check_options(options));
  if (scores.size() != groups.groups.size()) {
    return invalid_argument("plan_channel_pruning: ", scores.size(), " score lists for ", groups.groups.size(),
                            " groups");
  }
  GRAMLITE_ASSIGN_OR_RETURN(
      const detail::ChannelCostModel model,
      detail::ChannelCostModel::build(graph, groups.groups, options.node_latency, options.node_fixed_latency));
  std::vector<int64_t> removed(groups.groups.size(), 0);
  const auto metric = [&]() { return model.measure(options.target, removed); };

  std::vector<Candidate> candidates;
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const ChannelGroup& group = groups.groups[g];
    if (scores[g].empty()) continue;
    if (!group.prunable || static_cast<int64_t>(scores[g].size()) != group.channels) {
      return invalid_argument("plan_channel_pruning: group '", group.name, "' has ", scores[g].size(),
                              " scores for ", group.channels, " channels", group.prunable ? "" : " and is not prunable");
    }
    Candidate c;
    c.group = g;
    c.channels = group.channels;
    const auto by_fraction =
        static_cast<int64_t>(std::ceil(static_cast<double>(group.channels) * (1.0 - options.max_group_fraction) - 1e-9));
    c.floor_keep = std::max({std::min(group.channels, options.min_channels), by_fraction, int64_t{1}});
    c.scores = &scores[g];
    c.order.resize(static_cast<size_t>(group.channels));
    std::iota(c.order.begin(), c.order.end(), int64_t{0});
    std::stable_sort(c.order.begin(), c.order.end(),
                     [&](int64_t a, int64_t b) { return scores[g][static_cast<size_t>(a)] < scores[g][static_cast<size_t>(b)]; });
    candidates.push_back(std::move(c));
  }

  ChannelPruningPlan plan;
  plan.macs_before = model.macs(removed);
  plan.parameters_before = model.parameters(removed);
  plan.latency_before = model.latency(removed);
  const double before = metric();
  if (options.target == PruningTarget::kLatency && !(before > 0)) {
    return invalid_argument("the latency target needs a measured latency above 0 for some node");
  }
  const double reference = options.reference > 0 ? options.reference : before;
  const double goal = reference * (1.0 - options.ratio);
  double current = before;
  while (current > goal) {
    Candidate* best = nullptr;
    double best_key = 0.0;
    int64_t best_end = 0;
    for (Candidate& c : candidates) {
      const int64_t kept = c.channels - c.removed;
      const int64_t target_kept = next_kept(kept, options.round_to);
      if (target_kept < c.floor_keep || target_kept < 1) continue;
      const int64_t end = c.channels - target_kept;  // remove order[removed, end)
      double sum = 0.0;
      for (int64_t i = c.removed; i < end; ++i) sum += (*c.scores)[static_cast<size_t>(c.order[static_cast<size_t>(i)])];
      double key = sum / static_cast<double>(end - c.removed);
      if (options.per_cost) {
        removed[c.group] = end;
        const double saved = current - metric();
        removed[c.group] = c.removed;
        if (!(saved > 0)) continue;  // buys nothing of the target
        key = sum / (saved / reference);
      }
      if (best == nullptr || key < best_key) {
        best = &c;
        best_key = key;
        best_end = end;
      }
    }
    if (best == nullptr) {
      return invalid_argument("cannot remove ", options.ratio * 100.0, " % of the ", pruning_target_name(options.target),
                              ": the limits (min_channels ", options.min_channels, ", max_group_fraction ",
                              options.max_group_fraction, ", round_to ", options.round_to, ", ", candidates.size(), " of ",
                              groups.groups.size(), " groups prunable and ranked by the criterion) allow at most ",
                              100.0 * (1.0 - current / reference), " %");
    }
    best->removed = best_end;
    removed[best->group] = best_end;
    current = metric();
  }

  plan.removed.resize(groups.groups.size());
  for (const Candidate& c : candidates) {
    std::vector<int64_t> r(c.order.begin(), c.order.begin() + c.removed);
    std::sort(r.begin(), r.end());
    plan.removed[c.group] = std::move(r);
  }
  plan.macs_after = model.macs(removed);
  plan.parameters_after = model.parameters(removed);
  plan.latency_after = model.latency(removed);
  return plan;
}

double iterative_ratio(double final_ratio, int step, int steps) {
  if (steps <= 0) return final_ratio;
  const int s = std::clamp(step, 0, steps);
  return final_ratio * static_cast<double>(s) / static_cast<double>(steps);
}

}  // namespace gramlite::compress
