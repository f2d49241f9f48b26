// Small graphs for the backend tests: one node (or a short chain) over one dynamic-batch input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "test_util.h"

namespace gramlite::runtime::testing {

inline ir::Node make_test_node(std::string name, ir::OpKind kind, std::vector<ir::TensorId> inputs,
                               ir::TensorId output, ir::Attributes attrs = {}) {
  ir::Node node;
  node.name = std::move(name);
  node.kind = kind;
  node.inputs = std::move(inputs);
  node.outputs = {output};
  node.attrs = attrs.index() == 0 ? ir::default_attributes(kind) : std::move(attrs);
  return node;
}

// A float32 constant of `shape` with values from `seed`.
inline ir::TensorId add_random_constant(ir::Graph& graph, const std::string& name, const ir::Shape& shape,
                                        uint32_t seed, float low = -0.5f, float high = 0.5f) {
  return graph.add_float_constant(name, shape,
                                  random_floats(static_cast<size_t>(ir::element_count(shape)), seed, low, high));
}

}  // namespace gramlite::runtime::testing
