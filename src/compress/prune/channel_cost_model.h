// The MACs and parameters of a graph as a function of how many channels each dependency group
// loses: what the planner evaluates after every chunk, what find_channel_groups reports per
// channel, and what the cut checks its result against.
//
// Every node's MAC count (ir::node_costs) is proportional to its output's channel count, and a
// dense Conv2d's or a Linear's also to its input's (weight dim 1); every constant's element count
// is proportional to the size of each of its dims that is a channel space. So with f(s) the kept
// fraction of space s, MACs = sum over nodes of macs * f(out) * f(contracted input) and
// parameters = sum over constants of elements * product of f(dim): exact, not an estimate. The
// latency model scales the variable part of each node's measured time the way its MACs scale
// (PruningTarget::kLatency): an estimate, as good as the assumption that a layer's time is affine
// in its MACs.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress::detail {

class ChannelCostModel {
 public:
  // `node_latency`: empty, or one time per node of `graph` (the latency model's base);
  // `node_fixed_latency`: empty, or the part of each that does not shrink with the channels.
  static Result<ChannelCostModel> build(const ir::Graph& graph, const std::vector<ChannelGroup>& groups,
                                        const std::vector<double>& node_latency = {},
                                        const std::vector<double>& node_fixed_latency = {});

  // `removed[g]`: channels removed from group g (one entry per group).
  int64_t macs(const std::vector<int64_t>& removed) const;
  int64_t parameters(const std::vector<int64_t>& removed) const;
  double latency(const std::vector<int64_t>& removed) const;  // 0 without node_latency
  // The figure `target` measures.
  double measure(PruningTarget target, const std::vector<int64_t>& removed) const;

 private:
  struct Space {
    int64_t size = 0;
    std::vector<std::pair<size_t, int64_t>> groups;  // (group, indices per group channel)
  };
  struct NodeTerm {
    int64_t macs = 0;
    double latency = 0;        // with every channel kept
    double fixed_latency = 0;  // the part that does not shrink
    int output = -1;      // space of the output's channels, -1 if none
    int contracted = -1;  // space of the input channels a dense Conv2d / Linear contracts, -1 if none
  };
  struct ConstantTerm {
    int64_t elements = 0;
    std::vector<int> spaces;  // the constant's channel spaces
  };

  double kept_fraction(int space, const std::vector<int64_t>& removed) const;

  std::vector<Space> spaces_;
  std::vector<NodeTerm> nodes_;
  std::vector<ConstantTerm> constants_;
};

}  // namespace gramlite::compress::detail
