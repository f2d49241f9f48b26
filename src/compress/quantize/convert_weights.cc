// The two weight-only modes: fp16 weights, and int8 weights with float activations (dynamic
// range). Only Conv2d / Linear weights change; biases, activations and every other op stay float32.
#include <vector>

#include "base/float16.h"
#include "compress/quantize/graph_rewrite.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

// The weight tensors (input 1) of Conv2d / Linear nodes, each once. Errors on a weight that is
// not a dense float32 constant (an already converted or sparse-encoded model).
Result<std::vector<ir::TensorId>> weight_layer_weights(const ir::Graph& graph) {
  std::vector<ir::TensorId> weights;
  std::vector<bool> seen(graph.tensors.size(), false);
  for (const ir::Node& node : graph.nodes) {
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
    const ir::TensorId id = node.inputs[1];
    if (seen[static_cast<size_t>(id)]) continue;
    seen[static_cast<size_t>(id)] = true;
    if (!internal::is_float_constant(graph, id)) {
      const ir::Tensor& t = graph.tensor(id);
      return unsupported("weight '", t.name, "' of node '", node.name, "' is ", ir::dtype_name(t.dtype),
                              t.sparsity.encoding != ir::SparsityEncoding::kDense ? " (sparse-encoded)" : "",
                              ": only a dense float32 model can be converted");
    }
    weights.push_back(id);
  }
  return weights;
}

}  // namespace

Result<ir::Graph> convert_to_float16(const ir::Graph& float_graph) {
  GRAMLITE_RETURN_IF_ERROR(ir::validate(float_graph));
  ir::Graph graph = float_graph;
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::TensorId> weights, weight_layer_weights(graph));
  for (ir::TensorId id : weights) {
    ir::Tensor& t = graph.tensor(id);
    const std::vector<float> values = internal::float_values(t);
    Buffer data = Buffer::allocate(values.size() * sizeof(uint16_t));
    floats_to_half(values.data(), values.size(), data.mutable_as<uint16_t>());
    t.dtype = ir::DType::kFloat16;
    t.data = std::move(data);
  }
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("the fp16 graph"));
  return graph;
}

Result<ir::Graph> convert_to_dynamic(const ir::Graph& float_graph, const Int8Options& options) {
  if (options.weight_bits != 7 && options.weight_bits != 8) {
    return invalid_argument("int8 weights use 7 or 8 bits, got ", options.weight_bits);
  }
  GRAMLITE_RETURN_IF_ERROR(ir::validate(float_graph));
  ir::Graph graph = float_graph;
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::TensorId> weights, weight_layer_weights(graph));
  for (ir::TensorId id : weights) {
    graph.tensor(id) = internal::quantize_weight(graph.tensor(id), options.per_tensor_weights, options.weight_bits);
  }
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("the dynamic-range graph"));
  return graph;
}

}  // namespace gramlite::compress
