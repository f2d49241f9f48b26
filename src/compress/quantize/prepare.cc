#include <string>

#include "compress/quantize/graph_rewrite.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {

const char* quantize_mode_name(QuantizeMode mode) {
  switch (mode) {
    case QuantizeMode::kInt8: return "int8";
    case QuantizeMode::kFloat16: return "fp16";
    case QuantizeMode::kDynamic: return "dynamic";
  }
  return "invalid";
}

Result<ir::Graph> prepare_for_quantization(const ir::Graph& float_graph) {
  ir::Graph prepared = float_graph;
  for (const ir::Node& node : prepared.nodes) {
    if (node.kind == ir::OpKind::kQuantize || node.kind == ir::OpKind::kDequantize) {
      return invalid_argument("node '", node.name, "' (", ir::op_kind_name(node.kind),
                              "): the model is already quantized");
    }
  }
  for (const ir::Tensor& tensor : prepared.tensors) {
    if (tensor.is_constant() && (tensor.dtype != ir::DType::kFloat32 || !tensor.quant.empty())) {
      return invalid_argument("tensor '", tensor.name, "' is ", ir::dtype_name(tensor.dtype),
                              ": quantization starts from a float32 model");
    }
    if (tensor.is_constant() && tensor.sparsity.encoding != ir::SparsityEncoding::kDense) {
      return unsupported("tensor '", tensor.name, "' is stored ", ir::sparsity_encoding_name(tensor.sparsity.encoding),
                         "-encoded: quantize the dense model");
    }
  }
  GRAMLITE_RETURN_IF_ERROR(ir::optimize_for_inference(prepared));
  // HardSwish / HardSigmoid / Sigmoid are no clamp: the int8 graph runs them as lookup tables
  // after the op, so calibration must see the op's output before the activation too.
  internal::split_table_activations(prepared);
  GRAMLITE_RETURN_IF_ERROR(ir::validate(prepared));
  return prepared;
}

}  // namespace gramlite::compress
