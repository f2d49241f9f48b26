// Structural and semantic validation of a graph. Every error names the node or tensor at fault.
#pragma once

#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::ir {

// Checks: indices in range; each op's input/output counts, dtypes and attribute kind; constant data
// sizes; single producers; no cycles; topological order; graph outputs produced; shape inference
// succeeds (batch 1) and agrees with the stored shapes; quantization parameters keep the rules of
// validate_quantization (quantization_check.h). The model loader, Session::create and save_model all
// run it, so those rules hold for every file read or written and every graph a session runs.
Status validate(const Graph& graph);

// Node indices in a topological order (Kahn; ties keep stored order). Error on a cycle.
Result<std::vector<int>> topological_order(const Graph& graph);
// Reorders graph.nodes topologically.
Status sort_topologically(Graph& graph);

}  // namespace gramlite::ir
