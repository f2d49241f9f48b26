#include "gramlite/ir/graph.h"

#include <algorithm>
#include <cstring>

namespace gramlite::ir {

TensorId Graph::add_tensor(Tensor tensor) {
  tensors.push_back(std::move(tensor));
  return static_cast<TensorId>(tensors.size() - 1);
}

TensorId Graph::add_value(std::string name, Shape shape, DType dtype) {
  Tensor tensor;
  tensor.name = std::move(name);
  tensor.shape = std::move(shape);
  tensor.dtype = dtype;
  return add_tensor(std::move(tensor));
}

TensorId Graph::add_constant(std::string name, Shape shape, DType dtype, Buffer data) {
  Tensor tensor;
  tensor.name = std::move(name);
  tensor.shape = std::move(shape);
  tensor.dtype = dtype;
  tensor.data = std::move(data);
  return add_tensor(std::move(tensor));
}

TensorId Graph::add_float_constant(std::string name, Shape shape, const std::vector<float>& values) {
  Buffer data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  return add_constant(std::move(name), std::move(shape), DType::kFloat32, std::move(data));
}

int Graph::add_node(Node node) {
  nodes.push_back(std::move(node));
  return static_cast<int>(nodes.size() - 1);
}

std::optional<TensorId> Graph::find_tensor(std::string_view name) const {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == name) return static_cast<TensorId>(i);
  }
  return std::nullopt;
}

std::optional<int> Graph::find_node(std::string_view name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::vector<int> Graph::producers() const {
  std::vector<int> result(tensors.size(), -1);
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (TensorId out : nodes[n].outputs) {
      if (is_valid_tensor_id(out)) result[static_cast<size_t>(out)] = static_cast<int>(n);
    }
  }
  return result;
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> result(tensors.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (TensorId in : nodes[n].inputs) {
      if (!is_valid_tensor_id(in)) continue;
      auto& list = result[static_cast<size_t>(in)];
      if (list.empty() || list.back() != static_cast<int>(n)) list.push_back(static_cast<int>(n));
    }
  }
  return result;
}

bool Graph::is_graph_output(TensorId id) const {
  return std::find(outputs.begin(), outputs.end(), id) != outputs.end();
}

}  // namespace gramlite::ir
