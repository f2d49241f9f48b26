// The measured base of structured pruning's latency target (compress::PruningTarget::kLatency):
// each layer's time in a profiled run of the model on the runtime, as `gramlite bench --profile`
// measures it (1 thread, batch 1, the default backends, BatchNorm and activations fused into their
// convolution's time), kept by node name with the node's MACs, so that a later, already pruned
// graph's layers can be scaled from it the way their MACs shrank.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

struct LayerLatency {
  double ms = 0;     // median over the timed runs
  int64_t macs = 0;  // the node's MACs in the profiled graph (ir::node_costs)
};
using LayerLatencies = std::map<std::string, LayerLatency>;  // by node name

// Profiles `model` with `runs` timed runs after 5 warm-up runs, on the calling thread.
Result<LayerLatencies> profile_layer_latency(const ir::Graph& model, int runs);

// As JSON ({"node": {"ms": .., "macs": ..}, ...}), so that a resumed prune plans with the same
// figures as the uninterrupted one.
Status save_layer_latency(const std::string& path, const LayerLatencies& latencies);
Result<LayerLatencies> load_layer_latency(const std::string& path);

// For each node of `graph` (node order): its profiled time scaled by its MACs now over its MACs
// then (unchanged when it had none), 0 for a node the profile does not name.
Result<std::vector<double>> scaled_node_latency(const ir::Graph& graph, const LayerLatencies& base);

double total_ms(const LayerLatencies& latencies);

}  // namespace gramlite::train
