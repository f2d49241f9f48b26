#include "gramlite/ir/validate.h"

#include <algorithm>
#include <queue>

#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/quantization_check.h"
#include "gramlite/ir/shape_inference.h"

namespace gramlite::ir {
namespace {

Status node_error(const Node& node, const std::string& message) {
  return invalid_argument("node '", node.name, "' (", op_kind_name(node.kind), "): ", message);
}

Status validate_tensor(const Graph& graph, size_t index) {
  const Tensor& t = graph.tensors[index];
  const auto tensor_error = [&](const std::string& message) {
    return invalid_argument("tensor '", t.name, "' (#", index, "): ", message);
  };
  if (!is_valid_dtype(static_cast<uint32_t>(t.dtype))) return tensor_error("invalid dtype");
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < kDynamicDim) return tensor_error(str_cat("negative dimension ", t.shape[d]));
    if (t.shape[d] == kDynamicDim && (d != 0 || t.is_constant())) {
      return tensor_error("only dim 0 of a non-constant tensor may be dynamic");
    }
  }
  if (t.is_constant() && t.sparsity.encoding == SparsityEncoding::kDense) {
    const int64_t expected = t.dense_byte_size();
    if (expected != static_cast<int64_t>(t.data.size())) {
      return tensor_error(str_cat("holds ", t.data.size(), " bytes but shape ", shape_to_string(t.shape), " of ",
                                  dtype_name(t.dtype), " needs ", expected));
    }
  }
  if (static_cast<uint32_t>(t.sparsity.encoding) >= static_cast<uint32_t>(SparsityEncoding::kCount)) {
    return tensor_error("invalid sparsity encoding");
  }
  // Quantization parameters: validate_quantization (quantization_check.cc), once the nodes are known.
  return Status::Ok();
}

Status validate_node(const Graph& graph, const Node& node) {
  if (!is_valid_op_kind(static_cast<uint32_t>(node.kind))) return invalid_argument("node '", node.name, "': invalid op kind");
  const OpTraits& traits = op_traits(node.kind);
  if (node.inputs.size() < traits.min_inputs || node.inputs.size() > traits.max_inputs) {
    return node_error(node, str_cat("has ", node.inputs.size(), " inputs"));
  }
  if (node.outputs.size() != 1) return node_error(node, str_cat("has ", node.outputs.size(), " outputs, expected 1"));
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorId id = node.inputs[i];
    if (!graph.is_valid_tensor_id(id)) return node_error(node, str_cat("input ", i, " refers to missing tensor ", id));
    if (i >= traits.first_constant_input && !graph.tensor(id).is_constant()) {
      return node_error(node, str_cat("input ", i, " ('", graph.tensor(id).name, "') must be a constant weight"));
    }
  }
  for (TensorId id : node.outputs) {
    if (!graph.is_valid_tensor_id(id)) return node_error(node, str_cat("output refers to missing tensor ", id));
    if (graph.tensor(id).is_constant()) return node_error(node, str_cat("writes constant tensor '", graph.tensor(id).name, "'"));
  }
  if (node.attrs.index() != traits.attributes_index) {
    return node_error(node, "carries attributes of another op kind");
  }
  if (!is_valid_activation(static_cast<uint32_t>(node.fused_activation))) return node_error(node, "invalid fused activation");
  if (node.fused_activation != Activation::kNone && !traits.can_fuse_activation) {
    return node_error(node, "this op kind cannot carry a fused activation");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<int>> topological_order(const Graph& graph) {
  const std::vector<int> producer = graph.producers();
  const size_t n = graph.nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> dependents(n);
  for (size_t i = 0; i < n; ++i) {
    for (TensorId id : graph.nodes[i].inputs) {
      if (!graph.is_valid_tensor_id(id)) continue;
      const int p = producer[static_cast<size_t>(id)];
      if (p >= 0) {
        ++pending[i];
        dependents[static_cast<size_t>(p)].push_back(static_cast<int>(i));
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;  // ties keep stored order
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int d : dependents[static_cast<size_t>(i)]) {
      if (--pending[static_cast<size_t>(d)] == 0) ready.push(d);
    }
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] > 0) return invalid_argument("graph has a cycle through node '", graph.nodes[i].name, "'");
    }
  }
  return order;
}

Status sort_topologically(Graph& graph) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<int> order, topological_order(graph));
  std::vector<Node> sorted;
  sorted.reserve(order.size());
  for (int i : order) sorted.push_back(std::move(graph.nodes[static_cast<size_t>(i)]));
  graph.nodes = std::move(sorted);
  return Status::Ok();
}

Status validate(const Graph& graph) {
  for (size_t t = 0; t < graph.tensors.size(); ++t) GRAMLITE_RETURN_IF_ERROR(validate_tensor(graph, t));
  if (graph.inputs.empty()) return invalid_argument("graph has no inputs");
  if (graph.outputs.empty()) return invalid_argument("graph has no outputs");
  std::vector<int> defined_by(graph.tensors.size(), -2);  // -2 undefined, -1 graph input, n: node n
  for (TensorId id : graph.inputs) {
    if (!graph.is_valid_tensor_id(id)) return invalid_argument("graph input refers to missing tensor ", id);
    if (graph.tensor(id).is_constant()) return invalid_argument("graph input '", graph.tensor(id).name, "' is a constant");
    if (defined_by[static_cast<size_t>(id)] != -2) {
      return invalid_argument("tensor '", graph.tensor(id).name, "' is listed twice as a graph input");
    }
    defined_by[static_cast<size_t>(id)] = -1;
  }
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    GRAMLITE_RETURN_IF_ERROR(validate_node(graph, node));
    for (TensorId id : node.inputs) {
      const Tensor& t = graph.tensor(id);
      if (!t.is_constant() && defined_by[static_cast<size_t>(id)] == -2) {
        return node_error(node, str_cat("reads tensor '", t.name, "' that no earlier node produces and that is not ",
                                        "a graph input (missing producer, a cycle, or nodes out of order)"));
      }
    }
    for (TensorId id : node.outputs) {
      if (defined_by[static_cast<size_t>(id)] != -2) {
        return node_error(node, str_cat("writes tensor '", graph.tensor(id).name, "' that is already defined"));
      }
      defined_by[static_cast<size_t>(id)] = static_cast<int>(n);
    }
  }
  for (TensorId id : graph.outputs) {
    if (!graph.is_valid_tensor_id(id)) return invalid_argument("graph output refers to missing tensor ", id);
    if (defined_by[static_cast<size_t>(id)] == -2 && !graph.tensor(id).is_constant()) {
      return invalid_argument("graph output '", graph.tensor(id).name, "' is never computed");
    }
  }
  // After the structural checks, so that every index it follows is in range; before shape
  // inference, so that a corrupt scale is reported as such and not as whatever it breaks later.
  GRAMLITE_RETURN_IF_ERROR(validate_quantization(graph));
  std::vector<Shape> declared;
  for (TensorId id : graph.inputs) {
    if (graph.tensor(id).shape.empty()) return invalid_argument("graph input '", graph.tensor(id).name, "' has no shape");
    declared.push_back(graph.tensor(id).shape);
  }
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<Shape> shapes, infer_all_shapes(graph, declared));
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const Tensor& tensor = graph.tensors[t];
    if (tensor.is_constant() || tensor.shape.empty() || tensor.shape == shapes[t]) continue;
    return invalid_argument("tensor '", tensor.name, "' is stored with shape ", shape_to_string(tensor.shape),
                            " but its producer computes ", shape_to_string(shapes[t]));
  }
  GRAMLITE_ASSIGN_OR_RETURN(shapes, infer_shapes_for_batch(graph, 1));
  return Status::Ok();
}

}  // namespace gramlite::ir
