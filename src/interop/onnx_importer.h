// The ONNX importer's working state, shared by the graph walk (onnx_import.cc) and the per-op
// converters (onnx_ops.cc). Internal: includes libonnx's generated protobuf header.
//
// Each ONNX value name is bound either to an IR tensor (a graph input, an activation, or a
// constant already placed in the graph) or to a constant known at import time that has not been
// placed yet. Constants are placed lazily, when an op needs them as an IR input, so that integer
// tensors (shapes, pads, axes) and weights rewritten at import (a transposed Gemm weight) never
// reach the graph.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "gramlite/base/status.h"
#include "gramlite/interop/onnx_import.h"
#include "interop/onnx_gramlite_metadata.h"
#include "interop/onnx_tensor.h"
#include "gramlite/ir/graph.h"

namespace gramlite::interop::onnx_detail {

struct Binding {
  ir::TensorId id = ir::kNoTensor;
  std::optional<ConstantValue> constant;
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const OnnxImportOptions& options, OnnxImportReport* report,
           std::string source);

  Result<ir::Graph> run();

  // --- for the converters -------------------------------------------------------------------
  int opset() const { return opset_; }
  ir::Graph& graph() { return graph_; }
  const ir::Shape& shape(ir::TensorId id) const { return graph_.tensor(id).shape; }
  void note(std::string text) { notes_.push_back(std::move(text)); }

  // "node 'name' (OpType, opset 13): message", as kUnsupported or kInvalidArgument.
  Status unsupported_node(const onnx::NodeProto& node, const std::string& message) const;
  Status invalid_node(const onnx::NodeProto& node, const std::string& message) const;
  // The node's name, or "<OpType>_<index>" when the file leaves it empty.
  const std::string& node_name(const onnx::NodeProto& node) const;

  // Whether input i exists (present and not the empty name of an omitted optional input).
  bool has_input(const onnx::NodeProto& node, int i) const;
  // Input i's value when known at import time, else nullptr (also for a missing input).
  const ConstantValue* constant_input(const onnx::NodeProto& node, int i) const;
  // Input i as an IR tensor; a constant is placed in the graph (once per ONNX name).
  Result<ir::TensorId> input(const onnx::NodeProto& node, int i);
  // Input i, which must be a constant (a weight): placed in the graph, shape and data as given.
  Result<ir::TensorId> weight_input(const onnx::NodeProto& node, int i, const char* what);
  // A new float32 constant in the graph (a weight rewritten at import time).
  ir::TensorId add_constant(const std::string& name, ir::Shape shape, const std::vector<float>& values);

  // Appends an IR node named after `node` (plus `suffix` for the parts of a composition), creates
  // its output tensor named `output_name` and computes the output's shape by shape inference, so
  // that shape errors name the node. Returns the output tensor.
  Result<ir::TensorId> add_node(const onnx::NodeProto& node, ir::OpKind kind, std::vector<ir::TensorId> inputs,
                                ir::Attributes attrs, const std::string& suffix, const std::string& output_name);
  // The IR node that produces `id`, or nullptr (graph inputs, constants).
  ir::Node* producer(ir::TensorId id);

  // Binds output `i` of `node` (its ONNX name) to an IR tensor or a constant.
  Status bind_output(const onnx::NodeProto& node, int i, ir::TensorId id);
  Status bind_output_constant(const onnx::NodeProto& node, int i, ConstantValue value);
  // Fails unless outputs from `first` on are absent or unused (optional outputs such as
  // BatchNormalization's running statistics or MaxPool's indices).
  Status require_unused_outputs(const onnx::NodeProto& node, int first) const;
  // How many node inputs and graph outputs read the ONNX value `name`.
  int use_count(const std::string& name) const;

  // The batch size an input declared before dynamic_batch made it dynamic (0: none).
  int64_t replaced_fixed_batch() const { return replaced_fixed_batch_; }
  // A graph input whose only reader is this node (for the NHWC -> NCHW transpose), else kNoTensor.
  ir::TensorId sole_graph_input(const onnx::NodeProto& node, int i) const;

  // Attributes, checked for type; errors name the node and attribute.
  const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const char* name) const;
  Result<int64_t> int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) const;
  Result<float> float_attr(const onnx::NodeProto& node, const char* name, float fallback) const;
  Result<std::string> string_attr(const onnx::NodeProto& node, const char* name, const std::string& fallback) const;
  // Unset: nullopt.
  Result<std::optional<std::vector<int64_t>>> ints_attr(const onnx::NodeProto& node, const char* name) const;

 private:
  Status add_graph_inputs();
  Status convert_node(const onnx::NodeProto& node);
  Status set_graph_outputs();
  Status drop_unused_inputs();
  Result<int> fuse_hard_swish();
  void record_metadata(const GramliteOnnxMetadata& stored);

  const onnx::ModelProto& model_;
  const OnnxImportOptions& options_;
  OnnxImportReport* report_;
  std::string source_;
  int opset_ = 0;
  ir::Graph graph_;
  std::unordered_map<std::string, Binding> values_;
  std::unordered_map<std::string, int> use_counts_;
  std::vector<int> producer_of_;  // per IR tensor: the producing node index, or -1
  std::vector<std::string> node_names_;
  std::unordered_map<const onnx::NodeProto*, size_t> node_index_;
  std::vector<std::string> notes_;
  int64_t replaced_fixed_batch_ = 0;
};

// Converts one ONNX node (dispatch on op_type; onnx_ops.cc). Unknown op types fail with one error.
Status convert_op(Importer& importer, const onnx::NodeProto& node);

}  // namespace gramlite::interop::onnx_detail
