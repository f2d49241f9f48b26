// The measured base of structured pruning's latency target (compress::PruningTarget::kLatency):
// each layer's time in profiled runs of the model on the runtime, as `gramlite bench --profile`
// measures it (1 thread, batch 1, the default backends, BatchNorm and activations fused into their
// convolution's time), kept by node name with the node's MACs.
//
// A layer's time is not proportional to its channels: every kernel call has a fixed cost, which
// at small inputs is a good part of the whole (MobileNetV2 at 96 px: half the modelled time gone
// measured 1.73x, not 2x, under a proportional model). So the model is profiled twice, whole and
// with every prunable group thinned to about half its channels, and each layer gets the affine fit
// through the two points: time = fixed + (whole - fixed) * (MACs now / MACs whole). A two-point
// latency table per layer, where HALP measures a full one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

struct LayerLatency {
  double ms = 0;        // the whole model's layer: median over the timed runs
  double fixed_ms = 0;  // the part that does not shrink with the MACs, in [0, ms]
  int64_t macs = 0;     // the node's MACs in the whole model (ir::node_costs)
};
using LayerLatencies = std::map<std::string, LayerLatency>;  // by node name

// Profiles `model` and its thinned twin, `runs` timed runs each after 5 warm-up runs, on the
// calling thread, and fits each layer.
Result<LayerLatencies> profile_layer_latency(const ir::Graph& model, int runs);

// As JSON ({"node": {"ms": .., "fixed_ms": .., "macs": ..}, ...}), so that a resumed prune plans
// with the same figures as the uninterrupted one.
Status save_layer_latency(const std::string& path, const LayerLatencies& latencies);
Result<LayerLatencies> load_layer_latency(const std::string& path);

// For each node of `graph` (node order), from the profile of the whole model: its time now
// (fixed + (ms - fixed) * MACs now / MACs then; as profiled when it had no MACs) and its fixed part;
// 0 and 0 for a node the profile does not name. What compress::ChannelPruningOptions'
// node_latency and node_fixed_latency take.
struct NodeLatencies {
  std::vector<double> time;
  std::vector<double> fixed;
  double total() const;
};
Result<NodeLatencies> scaled_node_latency(const ir::Graph& graph, const LayerLatencies& base);

}  // namespace gramlite::train
