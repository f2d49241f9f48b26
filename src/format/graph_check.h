// The structural checks the model file relies on, run on both sides of it: by the writer, so that
// gramlite never writes a file it would refuse to read, and by the reader before anything else
// (including ir::validate) looks at a graph built from untrusted bytes.
//
// Structural means: every value is one this build knows, every index points inside the graph,
// every number is in a range where arithmetic on it cannot overflow, and constant data has the
// size its shape and dtype say (in memory every tensor is dense: compact storage is decoded by the
// loader and chosen by the writer). Whether the graph computes something sensible is ir::validate's.
#pragma once

#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::format {

// Upper bound on the element count of any tensor (concrete dims only for activations): 2^48.
// Far above any image model, and low enough that element count x 8 bytes cannot overflow.
inline constexpr int64_t kMaxElementCount = ir::kMaxElementCount;

// Element count of `shape` with dynamic (-1) dims skipped, or an error if a dim is below -1 or
// the count exceeds kMaxElementCount.
Result<int64_t> checked_concrete_element_count(const ir::Shape& shape);

Status check_tensor_structure(const ir::Tensor& tensor);
Status check_graph_structure(const ir::Graph& graph);

// "tensor 3 'conv1.weight'", "node 5 'conv1' (Conv2d)": how errors name things.
std::string describe_tensor(size_t index, const std::string& name);
std::string describe_node(size_t index, const std::string& name, const char* kind_name);

}  // namespace gramlite::format
