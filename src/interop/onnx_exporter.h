// The ONNX exporter's working state, shared by the graph walk (onnx_export.cc) and the per-op
// emitters (onnx_export_ops.cc). Internal: includes libonnx's generated protobuf header.
//
// Every IR tensor has one ONNX value holding it as the IR stores it (its "stored" value: float for
// float tensors, INT8 for int8 activations and weights, ...), named after the IR tensor, and, made
// on first use, a float view that float ONNX ops read: the stored value itself for float tensors,
// a DequantizeLinear of it for int8 / int32 ones, a Cast for float16 and int64 constants. An op
// whose IR output is int8 computes in float into a fresh value and a QuantizeLinear writes the
// stored int8 value: the QDQ layout ONNX Runtime recognises (DQ -> float op -> Q).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <onnx/onnx_pb.h>

#include "gramlite/base/status.h"
#include "gramlite/interop/onnx_export.h"
#include "gramlite/ir/graph.h"

namespace gramlite::interop::onnx_export_detail {

class Exporter {
 public:
  Exporter(const ir::Graph& graph, const OnnxExportOptions& options, OnnxExportReport* report);

  // Builds the model (not yet checked or serialized).
  Result<onnx::ModelProto> run();

  // --- for the emitters ---------------------------------------------------------------------
  const ir::Graph& graph() const { return graph_; }
  const ir::Tensor& tensor(ir::TensorId id) const { return graph_.tensor(id); }
  void note(std::string text) { notes_.push_back(std::move(text)); }

  // The float view of IR tensor `id` (see above), created on first use.
  Result<std::string> float_input(ir::TensorId id);
  // The float view of a 2-d constant transposed ([out, in] -> [in, out]: a Linear as MatMul).
  Result<std::string> transposed_float_weight(ir::TensorId id);
  // Where a float op computing IR tensor `out` writes: the stored name for a float output, a fresh
  // float value for an int8 one (finish_output then quantizes it into the stored name).
  Result<std::string> result_name(ir::TensorId out);
  // For an int8 `out`: QuantizeLinear(float_value) -> stored name. Nothing for a float output.
  Status finish_output(ir::TensorId out, const std::string& float_value);
  // `out` is the same value as `source` (Dropout at inference): no node is written.
  void alias(ir::TensorId out, ir::TensorId source);

  // The ONNX value holding IR tensor `id` as stored (emits a constant's initializer on first use).
  Result<std::string> stored_value(ir::TensorId id);
  // Scale and zero-point initializers of an int8 activation (per tensor), created once per tensor.
  Result<std::pair<std::string, std::string>> activation_qparams(ir::TensorId id);

  // A node appended to the graph, named uniquely after `name`.
  onnx::NodeProto& add_node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                            std::vector<std::string> outputs);
  // A value name not used yet: `base`, else "base/1", "base/2", ...
  std::string fresh_name(const std::string& base);
  // Initializers (their names made unique from `base`; returned).
  std::string add_float_scalar(const std::string& base, float value);
  std::string add_int64_vector(const std::string& base, const std::vector<int64_t>& values);
  // A float scalar shared by every node that needs the same constant (Clip's bounds).
  std::string shared_float_scalar(const std::string& base, float value);

  // "node 'name' (Kind): message" as kUnsupported / kInvalidArgument.
  Status unsupported_node(const ir::Node& node, const std::string& message) const;
  Status invalid_node(const ir::Node& node, const std::string& message) const;

 private:
  ir::TensorId resolve(ir::TensorId id) const;
  Result<std::string> emit_constant(ir::TensorId id);
  Result<std::string> constant_float_view(const ir::Tensor& t, const std::string& stored, int64_t axis);
  onnx::TensorProto* add_initializer(const std::string& name, const ir::Shape& dims, onnx::TensorProto::DataType type);
  Status add_graph_inputs();
  Status add_graph_outputs();
  Status check_tensors() const;
  void record_metadata(onnx::ModelProto& model) const;
  Status fill_value_info(onnx::ValueInfoProto& info, ir::TensorId id, const std::string& name) const;

  const ir::Graph& graph_;
  const OnnxExportOptions& options_;
  OnnxExportReport* report_;
  onnx::GraphProto* out_ = nullptr;  // the graph being written (owned by run()'s model)
  std::vector<std::string> names_;                // per IR tensor: its stored value's name
  std::vector<bool> stored_ready_;                // per IR tensor: stored value exists
  std::vector<std::string> float_views_;          // per IR tensor: float view ("" until made)
  std::vector<ir::TensorId> alias_of_;            // per IR tensor: the tensor it aliases, or itself
  std::vector<std::pair<std::string, std::string>> qparams_;  // per IR tensor: scale / zero point
  std::unordered_set<std::string> used_names_;
  std::unordered_map<std::string, std::string> shared_scalars_;
  std::vector<std::string> notes_;
  size_t quantize_linear_ = 0;
  size_t dequantize_linear_ = 0;
};

// Writes one IR node (dispatch on op kind; onnx_export_ops.cc).
Status emit_op(Exporter& exporter, const ir::Node& node);

}  // namespace gramlite::interop::onnx_export_detail
