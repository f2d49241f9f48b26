// Rewrite passes over the IR. Each keeps the graph valid and the computed function unchanged (up to
// float rounding) and returns how many rewrites it made.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::ir {

// Conv2d -> BatchNorm (the conv's output feeding only the batch-norm) becomes one Conv2d with
// scaled weights and a bias. Also folds a BatchNorm that follows a Linear.
Result<int> fold_batch_norm(Graph& graph);

// Relu / Relu6 / HardSwish / HardSigmoid / Sigmoid applied to the sole use of a Conv2d, Linear, Add
// or BatchNorm output (without an activation yet) becomes that op's fused_activation.
Result<int> fuse_activations(Graph& graph);

// Dropout (identity at inference) is bypassed: its consumers read its input.
Result<int> remove_identity_ops(Graph& graph);

// Removes nodes whose outputs do not reach a graph output, then tensors nobody references, and
// renumbers tensor ids compactly.
Result<int> remove_dead_nodes(Graph& graph);

// All of the above in the order inference wants: identities, batch-norm folding, activation
// fusion, dead code. Used by runtime sessions unless disabled.
Status optimize_for_inference(Graph& graph);

}  // namespace gramlite::ir
