// Measuring aid for compact sparse storage: zeroes the smallest-magnitude fraction of every float32
// Conv2d / Linear weight (one-shot, per layer). Unstructured pruning proper (schedules, masks,
// fine-tuning) is src/compress/prune's; this only makes weights sparse enough to measure files.
#pragma once

#include "gramlite/ir/graph.h"

namespace gramlite::format::testing {

// In each float32 Conv2d / Linear weight, zeros the `fraction` of smallest magnitude
// (compress::prune_weight_once: TF-MOT's mask, one shot). Returns the number of values zeroed.
int64_t zero_smallest_weights(ir::Graph& graph, double fraction);

}  // namespace gramlite::format::testing
