#include "format/graph_check.h"

#include <cmath>

namespace gramlite::format {
namespace {

Status check_quant(const ir::Tensor& t) {
  const ir::QuantParams& q = t.quant;
  if (!q.zero_points.empty() && q.zero_points.size() != q.scales.size()) {
    return corrupt_data("has ", q.scales.size(), " quantization scales but ", q.zero_points.size(),
                        " zero points");
  }
  if (q.per_channel()) {
    const auto rank = static_cast<int64_t>(t.shape.size());
    if (q.axis < 0 || q.axis >= rank) {
      return corrupt_data("is quantized per channel along axis ", q.axis, ", outside its rank ", rank);
    }
    const int64_t channels = t.shape[static_cast<size_t>(q.axis)];
    if (channels != static_cast<int64_t>(q.scales.size())) {
      return corrupt_data("has ", q.scales.size(), " per-channel scales, but dim ", q.axis, " is ", channels);
    }
  }
  return Status::Ok();
}

Status check_sparsity(const ir::Sparsity& s) {
  if (static_cast<uint32_t>(s.encoding) >= static_cast<uint32_t>(ir::SparsityEncoding::kCount)) {
    return unsupported("sparsity encoding ", static_cast<uint32_t>(s.encoding),
                       " is not known to this gramlite version");
  }
  // The loader decodes compact storage (model_decoder.cc), so only a caller's graph reaches this.
  if (s.encoding != ir::SparsityEncoding::kDense) {
    return invalid_argument("is marked ", ir::sparsity_encoding_name(s.encoding),
                            "-encoded, but tensors in memory hold dense data (the writer chooses how each constant "
                            "is stored in the file)");
  }
  for (int32_t dim : s.block_shape) {
    if (dim <= 0) return corrupt_data("has a sparsity block dim of ", dim);
  }
  // Written as a negated range test so that NaN fails too.
  if (!(s.target_sparsity >= 0.0f && s.target_sparsity <= 1.0f)) {
    return corrupt_data("has target sparsity ", s.target_sparsity, ", outside [0, 1]");
  }
  return Status::Ok();
}

Status check_tensor_id(const ir::Graph& graph, ir::TensorId id, bool allow_none) {
  if (allow_none && id == ir::kNoTensor) return Status::Ok();
  if (!graph.is_valid_tensor_id(id)) {
    return corrupt_data("refers to tensor ", id, ", but the graph has ", graph.tensors.size(), " tensors");
  }
  return Status::Ok();
}

Status check_node(const ir::Graph& graph, const ir::Node& node) {
  const auto raw_kind = static_cast<uint32_t>(node.kind);
  if (!ir::is_valid_op_kind(raw_kind)) {
    return unsupported("op id ", raw_kind, " is not known to this gramlite version (it knows ids 0 to ",
                       static_cast<uint32_t>(ir::OpKind::kCount) - 1, "); a newer gramlite may read it");
  }
  const auto raw_activation = static_cast<uint32_t>(node.fused_activation);
  if (!ir::is_valid_activation(raw_activation)) {
    return unsupported("fused activation ", raw_activation, " is not known to this gramlite version");
  }
  const size_t expected = ir::expected_attributes_index(node.kind);
  if (node.attrs.index() != expected) {
    return corrupt_data("carries attributes of kind ", node.attrs.index(), ", but ", ir::op_kind_name(node.kind),
                        " takes kind ", expected);
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    GRAMLITE_RETURN_IF_ERROR(check_tensor_id(graph, node.inputs[i], /*allow_none=*/true)
                                 .with_context(str_cat("input ", i)));
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    GRAMLITE_RETURN_IF_ERROR(check_tensor_id(graph, node.outputs[i], /*allow_none=*/false)
                                 .with_context(str_cat("output ", i)));
  }
  return Status::Ok();
}

Status check_metadata(const ir::ModelMetadata& metadata) {
  const auto resize = static_cast<uint32_t>(metadata.preprocessing.resize);
  if (resize > static_cast<uint32_t>(ir::ResizeMode::kShorterSideCrop)) {
    return unsupported("metadata: resize mode ", resize, " is not known to this gramlite version");
  }
  const auto output_kind = static_cast<uint32_t>(metadata.output_kind);
  if (output_kind > static_cast<uint32_t>(ir::OutputKind::kProbabilities)) {
    return unsupported("metadata: output kind ", output_kind, " is not known to this gramlite version");
  }
  return Status::Ok();
}

}  // namespace

std::string describe_tensor(size_t index, const std::string& name) {
  return str_cat("tensor ", index, " '", name, "'");
}

std::string describe_node(size_t index, const std::string& name, const char* kind_name) {
  return str_cat("node ", index, " '", name, "' (", kind_name, ")");
}

Result<int64_t> checked_concrete_element_count(const ir::Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < ir::kDynamicDim) return corrupt_data("has a negative dim ", dim, " in shape");
    if (dim == ir::kDynamicDim) continue;
    // count <= kMaxElementCount (2^48) and dim < 2^63, so test by division, not by multiplying.
    if (dim != 0 && count > kMaxElementCount / dim) {
      return corrupt_data("has more than 2^48 elements (shape ", ir::shape_to_string(shape), ")");
    }
    count *= dim;
  }
  return count;
}

Status check_tensor_structure(const ir::Tensor& t) {
  const auto raw_dtype = static_cast<uint32_t>(t.dtype);
  if (!ir::is_valid_dtype(raw_dtype)) {
    return unsupported("dtype ", raw_dtype, " is not known to this gramlite version");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const int64_t concrete_count, checked_concrete_element_count(t.shape));
  GRAMLITE_RETURN_IF_ERROR(check_quant(t));
  GRAMLITE_RETURN_IF_ERROR(check_sparsity(t.sparsity));
  if (!t.is_constant()) return Status::Ok();
  for (int64_t dim : t.shape) {
    if (dim == ir::kDynamicDim) {
      return corrupt_data("is a constant with a dynamic shape ", ir::shape_to_string(t.shape));
    }
  }
  // In memory every constant is dense (check_sparsity); compact storage exists only in the file.
  const uint64_t expected = static_cast<uint64_t>(concrete_count) * ir::dtype_size(t.dtype);
  if (t.data.size() != expected) {
    return corrupt_data("has ", t.data.size(), " bytes of data, but shape ", ir::shape_to_string(t.shape), " x ",
                        ir::dtype_name(t.dtype), " needs ", expected);
  }
  return Status::Ok();
}

Status check_graph_structure(const ir::Graph& graph) {
  // Ids are int32: a graph with more tensors than that could not be referred to.
  if (graph.tensors.size() > static_cast<size_t>(INT32_MAX)) {
    return corrupt_data("the graph has too many tensors (", graph.tensors.size(), ")");
  }
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    GRAMLITE_RETURN_IF_ERROR(
        check_tensor_structure(graph.tensors[i]).with_context(describe_tensor(i, graph.tensors[i].name)));
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    GRAMLITE_RETURN_IF_ERROR(
        check_node(graph, node).with_context(describe_node(i, node.name, ir::op_kind_name(node.kind))));
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    GRAMLITE_RETURN_IF_ERROR(
        check_tensor_id(graph, graph.inputs[i], false).with_context(str_cat("graph input ", i)));
  }
  for (size_t i = 0; i < graph.outputs.size(); ++i) {
    GRAMLITE_RETURN_IF_ERROR(
        check_tensor_id(graph, graph.outputs[i], false).with_context(str_cat("graph output ", i)));
  }
  return check_metadata(graph.metadata);
}

}  // namespace gramlite::format
