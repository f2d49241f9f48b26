// Graph: the IR every module shares. Tensors and nodes live in flat vectors and refer to each other
// by index, so a graph copies, serialises and rewrites without pointer fix-ups.
//
// Invariants a valid graph keeps (checked by validate()):
//  - every non-constant tensor is a graph input or the output of exactly one node;
//  - nodes are stored in topological order (sort_topologically() restores it after a rewrite);
//  - constant tensors carry their data; graph inputs and activations do not.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/metadata.h"
#include "gramlite/ir/node.h"
#include "gramlite/ir/tensor.h"

namespace gramlite::ir {

class Graph {
 public:
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  ModelMetadata metadata;

  TensorId add_tensor(Tensor tensor);
  // An activation or input tensor: name, shape (may be partially dynamic), dtype.
  TensorId add_value(std::string name, Shape shape = {}, DType dtype = DType::kFloat32);
  TensorId add_constant(std::string name, Shape shape, DType dtype, Buffer data);
  // A float32 constant copied from `values` (must hold element_count(shape) values).
  TensorId add_float_constant(std::string name, Shape shape, const std::vector<float>& values);
  // Appends a node; returns its index.
  int add_node(Node node);

  const Tensor& tensor(TensorId id) const { return tensors[static_cast<size_t>(id)]; }
  Tensor& tensor(TensorId id) { return tensors[static_cast<size_t>(id)]; }
  bool is_valid_tensor_id(TensorId id) const { return id >= 0 && static_cast<size_t>(id) < tensors.size(); }

  // Linear search by name (graphs have at most a few thousand tensors).
  std::optional<TensorId> find_tensor(std::string_view name) const;
  std::optional<int> find_node(std::string_view name) const;

  // For each tensor, the index of the node producing it (-1 for inputs and constants).
  std::vector<int> producers() const;
  // For each tensor, the indices of the nodes consuming it, in node order.
  std::vector<std::vector<int>> consumers() const;
  bool is_graph_output(TensorId id) const;
};

}  // namespace gramlite::ir
