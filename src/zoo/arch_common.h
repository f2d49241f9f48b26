// Helpers shared by the architecture builders.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {

// torchvision's _make_divisible (from the TF-slim MobileNet code): rounds `value` to the nearest
// multiple of `divisor`, at least `divisor`, never more than 10 % below `value`. Computed in double
// exactly as Python does, so channel counts match torchvision for every width multiplier.
int make_divisible(double value, int divisor = 8);

// Ends a classifier: an optional softmax node `softmax_name` after `logits`, the graph output,
// metadata. `original_has_softmax` says what the framework's own model does when the options leave
// include_softmax unset.
Result<ir::Graph> finish_classifier(GraphBuilder& builder, TensorId logits, const ArchInfo& info,
                                    const BuildOptions& options, int input_size, bool original_has_softmax,
                                    const std::string& softmax_name);

}  // namespace gramlite::zoo
