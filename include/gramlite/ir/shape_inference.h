// Shape inference: the output shape of every node from its input shapes and attributes.
#pragma once

#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::ir {

// Output shapes of one node given its input shapes. Dim 0 may be kDynamicDim (batch); every other
// dim must be concrete. Errors name the node.
Result<std::vector<Shape>> infer_node_output_shapes(const Graph& graph, const Node& node,
                                                    const std::vector<Shape>& input_shapes);

// Shapes of all tensors when the graph's inputs have `input_shapes` (one per graph input, in
// order). Requires topological node order. Constants keep their own shapes.
Result<std::vector<Shape>> infer_all_shapes(const Graph& graph, const std::vector<Shape>& input_shapes);

// Shapes of all tensors with the batch dim of every graph input set to `batch` (> 0).
Result<std::vector<Shape>> infer_shapes_for_batch(const Graph& graph, int64_t batch);

// Recomputes and stores the shape of every activation tensor, keeping dim 0 dynamic where the
// graph inputs declare it dynamic.
Status update_shapes(Graph& graph);

}  // namespace gramlite::ir
