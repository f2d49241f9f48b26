// ONNX import: parse, check, walk the graph in file order (ONNX requires topological order) and
// convert node by node, then tidy (HardSigmoid * x -> HardSwish, dead nodes) and validate.
#include "gramlite/interop/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <onnx/checker.h>

#include "base/input_file.h"
#include "base/one_line.h"
#include "interop/onnx_gramlite_metadata.h"
#include "interop/onnx_importer.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"

namespace gramlite::interop {
namespace onnx_detail {

Importer::Importer(const onnx::ModelProto& model, const OnnxImportOptions& options, OnnxImportReport* report,
                   std::string source)
    : model_(model), options_(options), report_(report), source_(std::move(source)) {}

Status Importer::unsupported_node(const onnx::NodeProto& node, const std::string& message) const {
  return unsupported("node '", node_name(node), "' (", node.op_type(), ", opset ", opset_, "): ", message);
}

Status Importer::invalid_node(const onnx::NodeProto& node, const std::string& message) const {
  // A node the file describes wrongly: corrupt input (exit 4), not a bad argument.
  return corrupt_data("node '", node_name(node), "' (", node.op_type(), ", opset ", opset_, "): ", message);
}

const std::string& Importer::node_name(const onnx::NodeProto& node) const {
  const auto it = node_index_.find(&node);
  if (it != node_index_.end()) return node_names_[it->second];
  return node.name();
}

bool Importer::has_input(const onnx::NodeProto& node, int i) const {
  return i >= 0 && i < node.input_size() && !node.input(i).empty();
}

const ConstantValue* Importer::constant_input(const onnx::NodeProto& node, int i) const {
  if (!has_input(node, i)) return nullptr;
  const auto it = values_.find(node.input(i));
  if (it == values_.end() || !it->second.constant) return nullptr;
  return &*it->second.constant;
}

Result<ir::TensorId> Importer::input(const onnx::NodeProto& node, int i) {
  if (!has_input(node, i)) return invalid_node(node, str_cat("input ", i, " is missing"));
  const std::string& name = node.input(i);
  const auto it = values_.find(name);
  if (it == values_.end()) {
    return invalid_node(node, str_cat("input '", name, "' is neither a graph input, an initializer nor the output ",
                                      "of an earlier node"));
  }
  Binding& binding = it->second;
  if (binding.id != ir::kNoTensor) return binding.id;
  const ConstantValue& value = *binding.constant;
  if (value.size() == 0) return invalid_node(node, str_cat("input '", name, "' is an empty tensor"));
  binding.id = add_constant(name, value.shape, value.as_floats());
  return binding.id;
}

Result<ir::TensorId> Importer::weight_input(const onnx::NodeProto& node, int i, const char* what) {
  if (!has_input(node, i)) return invalid_node(node, str_cat("the ", what, " (input ", i, ") is missing"));
  if (constant_input(node, i) == nullptr) {
    if (values_.count(node.input(i)) == 0) return input(node, i);  // names the undefined input
    return unsupported_node(node, str_cat("the ", what, " '", node.input(i), "' is computed by the graph; ",
                                          "only weights stored in the file (initializers, Constant nodes) are supported"));
  }
  return input(node, i);
}

ir::TensorId Importer::add_constant(const std::string& name, ir::Shape shape, const std::vector<float>& values) {
  const ir::TensorId id = graph_.add_float_constant(name, std::move(shape), values);
  producer_of_.resize(graph_.tensors.size(), -1);
  return id;
}

Result<ir::TensorId> Importer::add_node(const onnx::NodeProto& node, ir::OpKind kind, std::vector<ir::TensorId> inputs,
                                        ir::Attributes attrs, const std::string& suffix,
                                        const std::string& output_name) {
  ir::Node ir_node;
  ir_node.name = suffix.empty() ? node_name(node) : node_name(node) + "/" + suffix;
  ir_node.kind = kind;
  ir_node.inputs = std::move(inputs);
  ir_node.attrs = std::move(attrs);
  std::vector<ir::Shape> input_shapes;
  for (ir::TensorId id : ir_node.inputs) input_shapes.push_back(graph_.tensor(id).shape);
  Result<std::vector<ir::Shape>> shapes = ir::infer_node_output_shapes(graph_, ir_node, input_shapes);
  if (!shapes.ok()) {
    return corrupt_data("node '", node_name(node), "' (", node.op_type(), ", opset ", opset_, ") as IR ",
                        ir::op_kind_name(kind), ": ", shapes.status().message());
  }
  const ir::TensorId out = graph_.add_value(output_name, shapes->front());
  ir_node.outputs = {out};
  producer_of_.resize(graph_.tensors.size(), -1);
  producer_of_[static_cast<size_t>(out)] = graph_.add_node(std::move(ir_node));
  return out;
}

ir::Node* Importer::producer(ir::TensorId id) {
  if (!graph_.is_valid_tensor_id(id) || static_cast<size_t>(id) >= producer_of_.size()) return nullptr;
  const int index = producer_of_[static_cast<size_t>(id)];
  return index < 0 ? nullptr : &graph_.nodes[static_cast<size_t>(index)];
}

Status Importer::bind_output(const onnx::NodeProto& node, int i, ir::TensorId id) {
  if (i >= node.output_size() || node.output(i).empty()) return invalid_node(node, str_cat("has no output ", i));
  if (!values_.emplace(node.output(i), Binding{id, std::nullopt}).second) {
    return invalid_node(node, str_cat("output '", node.output(i), "' is already defined (ONNX values are assigned once)"));
  }
  return Status::Ok();
}

Status Importer::bind_output_constant(const onnx::NodeProto& node, int i, ConstantValue value) {
  if (i >= node.output_size() || node.output(i).empty()) return invalid_node(node, str_cat("has no output ", i));
  if (!values_.emplace(node.output(i), Binding{ir::kNoTensor, std::move(value)}).second) {
    return invalid_node(node, str_cat("output '", node.output(i), "' is already defined (ONNX values are assigned once)"));
  }
  return Status::Ok();
}

Status Importer::require_unused_outputs(const onnx::NodeProto& node, int first) const {
  for (int i = first; i < node.output_size(); ++i) {
    if (!node.output(i).empty() && use_count(node.output(i)) > 0) {
      return unsupported_node(node, str_cat("output ", i, " ('", node.output(i), "') is used, but only output 0 is supported"));
    }
  }
  return Status::Ok();
}

int Importer::use_count(const std::string& name) const {
  const auto it = use_counts_.find(name);
  return it == use_counts_.end() ? 0 : it->second;
}

ir::TensorId Importer::sole_graph_input(const onnx::NodeProto& node, int i) const {
  if (!has_input(node, i) || use_count(node.input(i)) != 1) return ir::kNoTensor;
  const auto it = values_.find(node.input(i));
  if (it == values_.end() || it->second.id == ir::kNoTensor) return ir::kNoTensor;
  const ir::TensorId id = it->second.id;
  return std::find(graph_.inputs.begin(), graph_.inputs.end(), id) != graph_.inputs.end() ? id : ir::kNoTensor;
}

const onnx::AttributeProto* Importer::attribute(const onnx::NodeProto& node, const char* name) const {
  for (const onnx::AttributeProto& attr : node.attribute()) {
    if (attr.name() == name) return &attr;
  }
  return nullptr;
}

Result<int64_t> Importer::int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) const {
  const onnx::AttributeProto* attr = attribute(node, name);
  if (attr == nullptr) return fallback;
  if (attr->type() != onnx::AttributeProto::INT) return invalid_node(node, str_cat("attribute '", name, "' is not an int"));
  return attr->i();
}

Result<float> Importer::float_attr(const onnx::NodeProto& node, const char* name, float fallback) const {
  const onnx::AttributeProto* attr = attribute(node, name);
  if (attr == nullptr) return fallback;
  if (attr->type() != onnx::AttributeProto::FLOAT) return invalid_node(node, str_cat("attribute '", name, "' is not a float"));
  return attr->f();
}

Result<std::string> Importer::string_attr(const onnx::NodeProto& node, const char* name,
                                          const std::string& fallback) const {
  const onnx::AttributeProto* attr = attribute(node, name);
  if (attr == nullptr) return fallback;
  if (attr->type() != onnx::AttributeProto::STRING) return invalid_node(node, str_cat("attribute '", name, "' is not a string"));
  return attr->s();
}

Result<std::optional<std::vector<int64_t>>> Importer::ints_attr(const onnx::NodeProto& node, const char* name) const {
  const onnx::AttributeProto* attr = attribute(node, name);
  if (attr == nullptr) return std::optional<std::vector<int64_t>>();
  if (attr->type() != onnx::AttributeProto::INTS) return invalid_node(node, str_cat("attribute '", name, "' is not a list of ints"));
  return std::optional<std::vector<int64_t>>(std::vector<int64_t>(attr->ints().begin(), attr->ints().end()));
}

// Graph inputs that are not initializers become IR inputs. ONNX models of IR version < 4 list every
// initializer as an input too; those are constants, not inputs.
Status Importer::add_graph_inputs() {
  const onnx::GraphProto& g = model_.graph();
  for (const onnx::ValueInfoProto& input : g.input()) {
    const std::string what = str_cat("graph input '", input.name(), "'");
    if (values_.count(input.name()) > 0) continue;  // an initializer
    if (!input.type().has_tensor_type()) return unsupported(what, " is not a tensor");
    const onnx::TypeProto::Tensor& type = input.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT) {
      return unsupported(what, " has element type ", onnx_type_name(type.elem_type()), "; float inputs are supported");
    }
    if (!type.has_shape()) return unsupported(what, " has no shape");
    const int rank = type.shape().dim_size();
    const auto fixed_dim = [&](int d) -> int64_t {
      return d < rank && type.shape().dim(d).has_dim_value() ? type.shape().dim(d).dim_value() : 0;
    };
    // H and W are dims 2, 3 (NCHW) unless only dim 3 looks like a channel count (NHWC: 1, 2).
    const bool nhwc = rank == 4 && (fixed_dim(3) == 1 || fixed_dim(3) == 3) && fixed_dim(1) != 1 && fixed_dim(1) != 3;
    ir::Shape shape;
    for (int d = 0; d < rank; ++d) {
      const onnx::TensorShapeProto::Dimension& dim = type.shape().dim(d);
      const bool fixed = dim.has_dim_value();
      if (fixed && (dim.dim_value() < 1 || dim.dim_value() > ir::kMaxElementCount)) {
        return corrupt_data(what, " has invalid dim ", d, " = ", dim.dim_value());
      }
      if (d == 0) {
        if (!fixed) {
          shape.push_back(ir::kDynamicDim);
        } else if (options_.dynamic_batch) {
          replaced_fixed_batch_ = dim.dim_value();
          shape.push_back(ir::kDynamicDim);
        } else {
          shape.push_back(dim.dim_value());
        }
        continue;
      }
      const bool spatial = rank == 4 && (nhwc ? (d == 1 || d == 2) : (d == 2 || d == 3));
      if (!fixed) {
        const std::string label = dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "";
        if (!spatial) return unsupported(what, " has symbolic dim ", d, label, "; only the batch, H and W may be symbolic");
        if (options_.input_size <= 0) return invalid_argument(what, " has symbolic dim ", d, label, "; set the input size");
        shape.push_back(options_.input_size);
        continue;
      }
      if (spatial && options_.input_size > 0 && dim.dim_value() != options_.input_size) {
        return invalid_argument(what, " has fixed size ", dim.dim_value(), " at dim ", d, " but input size ",
                                options_.input_size, " was asked for");
      }
      shape.push_back(dim.dim_value());
    }
    const ir::TensorId id = graph_.add_value(input.name(), shape);
    producer_of_.resize(graph_.tensors.size(), -1);
    graph_.inputs.push_back(id);
    values_[input.name()] = Binding{id, std::nullopt};
  }
  if (graph_.inputs.empty()) return corrupt_data("the graph has no inputs (besides initializers)");
  if (replaced_fixed_batch_ > 0) {
    note(str_cat("the input's fixed batch size ", replaced_fixed_batch_, " became a dynamic batch dim"));
  }
  return Status::Ok();
}

Status Importer::convert_node(const onnx::NodeProto& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    return unsupported_node(node, str_cat("operators of domain '", node.domain(), "' are not supported"));
  }
  if (node.output_size() < 1 || node.output(0).empty()) return invalid_node(node, "has no output");
  return convert_op(*this, node);
}

Status Importer::set_graph_outputs() {
  for (const onnx::ValueInfoProto& output : model_.graph().output()) {
    const auto it = values_.find(output.name());
    if (it == values_.end()) return corrupt_data("graph output '", output.name(), "' is never computed");
    const ir::TensorId id = it->second.id;
    if (id == ir::kNoTensor || graph_.tensor(id).is_constant()) {
      return unsupported("graph output '", output.name(), "' is a constant; only computed outputs are supported");
    }
    if (std::find(graph_.inputs.begin(), graph_.inputs.end(), id) != graph_.inputs.end()) {
      return unsupported("graph output '", output.name(), "' is a graph input passed through");
    }
    if (std::find(graph_.outputs.begin(), graph_.outputs.end(), id) != graph_.outputs.end()) {
      return unsupported("graph output '", output.name(), "' repeats another output");
    }
    graph_.outputs.push_back(id);
  }
  if (graph_.outputs.empty()) return corrupt_data("the graph has no outputs");
  return Status::Ok();
}

// A graph input no live node reads (an unused mask, a second head's input whose branch was dead)
// would make the model refuse to run with one input: it is dropped, with a note naming it.
Status Importer::drop_unused_inputs() {
  std::vector<bool> read(graph_.tensors.size(), false);
  for (const ir::Node& node : graph_.nodes) {
    for (ir::TensorId id : node.inputs) read[static_cast<size_t>(id)] = true;
  }
  std::vector<ir::TensorId> kept;
  for (ir::TensorId id : graph_.inputs) {
    if (read[static_cast<size_t>(id)]) {
      kept.push_back(id);
    } else {
      note(str_cat("graph input '", graph_.tensor(id).name, "' is used by no node and was dropped"));
    }
  }
  if (kept.size() == graph_.inputs.size()) return Status::Ok();
  if (kept.empty()) return unsupported("no graph input is used by a node that reaches the output");
  graph_.inputs = std::move(kept);
  return ir::remove_dead_nodes(graph_).status();  // drops the unread tensors, renumbers the rest
}

// torch.onnx.export writes hardswish as x * HardSigmoid(x) below opset 14. The IR has HardSwish,
// which the trainer, quantizer and fusion passes know as one op, so the pair is merged back.
Result<int> Importer::fuse_hard_swish() {
  const auto consumers = graph_.consumers();
  const auto producers = graph_.producers();
  int fused = 0;
  for (ir::Node& mul : graph_.nodes) {
    if (mul.kind != ir::OpKind::kMul || mul.inputs.size() != 2 || mul.fused_activation != ir::Activation::kNone) continue;
    for (int side = 0; side < 2; ++side) {
      const ir::TensorId gate = mul.inputs[static_cast<size_t>(side)];
      const ir::TensorId x = mul.inputs[static_cast<size_t>(1 - side)];
      const int p = producers[static_cast<size_t>(gate)];
      if (p < 0) continue;
      const ir::Node& hsig = graph_.nodes[static_cast<size_t>(p)];
      if (hsig.kind != ir::OpKind::kHardSigmoid || hsig.inputs[0] != x ||
          hsig.fused_activation != ir::Activation::kNone || consumers[static_cast<size_t>(gate)].size() != 1 ||
          graph_.is_graph_output(gate) || graph_.tensor(x).shape != graph_.tensor(mul.outputs[0]).shape) {
        continue;
      }
      mul.kind = ir::OpKind::kHardSwish;
      mul.inputs = {x};
      mul.attrs = std::monostate{};
      ++fused;
      break;  // the HardSigmoid node is now dead; remove_dead_nodes drops it
    }
  }
  return fused;
}

void Importer::record_metadata(const GramliteOnnxMetadata& stored) {
  ir::ModelMetadata& m = graph_.metadata;
  m.name = model_.graph().name();
  m.architecture = stored.architecture;
  // The exporting model's own entries first; this import's provenance replaces any of the same name.
  m.extra = stored.extra;
  if (options_.preprocessing) {
    m.preprocessing = *options_.preprocessing;
    m.extra["preprocessing"] = "set by the importer's options";
  } else if (stored.preprocessing) {
    m.preprocessing = *stored.preprocessing;
    m.extra["preprocessing"] = "read from the file's gramlite.preprocessing";
  } else {
    m.preprocessing = ir::Preprocessing{};
    m.extra["preprocessing"] = "not stored in the ONNX file; torchvision's ImageNet mean/std assumed";
  }
  m.extra["producer"] = "gramlite interop (ONNX import)";
  m.extra["weights"] = "imported";
  m.extra["source_file"] = source_;
  m.extra["source_format"] = str_cat("ONNX (IR version ", model_.ir_version(), ")");
  m.extra["source_producer"] =
      model_.producer_version().empty() ? model_.producer_name() : model_.producer_name() + " " + model_.producer_version();
  m.extra["source_opset"] = std::to_string(opset_);
  m.extra["source_graph"] = model_.graph().name();
  for (const ir::Node& node : graph_.nodes) {
    if (graph_.is_graph_output(node.outputs[0]) && node.kind == ir::OpKind::kSoftmax) {
      m.output_kind = ir::OutputKind::kProbabilities;
    }
  }
}

Result<ir::Graph> Importer::run() {
  for (const onnx::OperatorSetIdProto& set : model_.opset_import()) {
    if (set.domain().empty() || set.domain() == "ai.onnx") opset_ = static_cast<int>(std::min<int64_t>(set.version(), 1 << 20));
  }
  if (opset_ <= 0) return corrupt_data("the model imports no default-domain (ai.onnx) opset");
  if (opset_ < 7) return unsupported("opset ", opset_, " is older than the oldest supported (7)");
  if (opset_ > kNewestSupportedOnnxOpset) {
    return unsupported("opset ", opset_, " is newer than the newest this importer knows (", kNewestSupportedOnnxOpset,
                       "); export the model at opset ", kNewestSupportedOnnxOpset, " or older");
  }
  if (!model_.has_graph()) return corrupt_data("the model has no graph");
  const onnx::GraphProto& g = model_.graph();
  if (g.sparse_initializer_size() > 0) return unsupported("sparse initializers are not supported");

  node_names_.reserve(static_cast<size_t>(g.node_size()));
  for (int n = 0; n < g.node_size(); ++n) {
    const onnx::NodeProto& node = g.node(n);
    node_index_[&node] = static_cast<size_t>(n);
    node_names_.push_back(node.name().empty() ? str_cat(node.op_type(), "_", n) : node.name());
    for (const std::string& name : node.input()) {
      if (!name.empty()) ++use_counts_[name];
    }
  }
  for (const onnx::ValueInfoProto& output : g.output()) ++use_counts_[output.name()];

  bool converted = false;
  for (const onnx::TensorProto& tensor : g.initializer()) {
    if (tensor.name().empty()) return corrupt_data("an initializer has no name");
    GRAMLITE_ASSIGN_OR_RETURN(ConstantValue value, decode_tensor(tensor, &converted));
    if (!values_.emplace(tensor.name(), Binding{ir::kNoTensor, std::move(value)}).second) {
      return corrupt_data("initializer '", tensor.name(), "' is defined twice");
    }
  }
  if (converted) note("float16 / float64 initializers were converted to float32");
  GRAMLITE_RETURN_IF_ERROR(add_graph_inputs());
  for (const onnx::NodeProto& node : g.node()) GRAMLITE_RETURN_IF_ERROR(convert_node(node));
  GRAMLITE_RETURN_IF_ERROR(set_graph_outputs());

  GRAMLITE_ASSIGN_OR_RETURN(const int fused, fuse_hard_swish());
  if (fused > 0) note(str_cat(fused, " x * HardSigmoid(x) pairs became HardSwish"));
  GRAMLITE_ASSIGN_OR_RETURN(const int removed, ir::remove_dead_nodes(graph_));
  (void)removed;  // nodes folded into others (Pad into Conv, ...) and unused branches
  GRAMLITE_RETURN_IF_ERROR(drop_unused_inputs());
  if (Status s = ir::validate(graph_); !s.ok()) return corrupt_data("the imported graph is invalid: ", s.message());

  const ir::Shape& out_shape = graph_.tensor(graph_.outputs[0]).shape;
  const int64_t classes = out_shape.empty() ? 0 : out_shape.back();
  std::map<std::string, std::string> props;
  for (const onnx::StringStringEntryProto& entry : model_.metadata_props()) props[entry.key()] = entry.value();
  GramliteOnnxMetadata stored = read_gramlite_onnx_metadata(props);
  for (std::string& n : stored.notes) note(std::move(n));
  if (!options_.class_names.empty()) {
    if (static_cast<int64_t>(options_.class_names.size()) != classes) {
      return invalid_argument(options_.class_names.size(), " class names given for a model with ", classes,
                              " outputs (output shape ", ir::shape_to_string(out_shape), ")");
    }
    graph_.metadata.class_names = options_.class_names;
  } else if (stored.class_names && static_cast<int64_t>(stored.class_names->size()) == classes) {
    graph_.metadata.class_names = *stored.class_names;
  } else {
    if (stored.class_names) {
      note(str_cat("ignored gramlite.class_names: ", stored.class_names->size(), " names for ", classes, " outputs"));
    }
    for (int64_t c = 0; c < classes; ++c) graph_.metadata.class_names.push_back(str_cat("class_", c));
  }
  record_metadata(stored);
  if (report_ != nullptr) {
    report_->opset = opset_;
    report_->producer = graph_.metadata.extra["source_producer"];
    report_->initializers = static_cast<size_t>(g.initializer_size());
    report_->notes = notes_;
  }
  return std::move(graph_);
}

}  // namespace onnx_detail

namespace {

// Parses and imports. libonnx and protobuf may throw (the checker reports through exceptions,
// allocation may fail on a huge field); nothing leaves this module as an exception.
Result<ir::Graph> import_model_bytes(const void* data, size_t size, const std::string& source,
                                     const OnnxImportOptions& options, OnnxImportReport* report) {
  const std::string context = str_cat("importing ONNX model '", source, "'");
  try {
    if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return unsupported(context, ": the file is larger than 2 GiB (protobuf's limit); use a model with external data "
                                  "merged into a smaller file");
    }
    onnx::ModelProto model;
    if (size == 0 || !model.ParseFromArray(data, static_cast<int>(size))) {
      return corrupt_data(context, ": not a valid ONNX model (the protobuf does not parse; truncated or not ONNX?)");
    }
    if (options.run_checker) {
      try {
        onnx::checker::check_model(model);
      } catch (const std::exception& error) {
        // The checker's text spans lines (it prints the offending node); ours is one line.
        return corrupt_data(context, ": the ONNX checker rejects it: ", one_line(error.what()));
      }
    }
    onnx_detail::Importer importer(model, options, report, source);
    Result<ir::Graph> graph = importer.run();
    if (!graph.ok()) return Status(graph.status().code(), one_line(graph.status().message())).with_context(context);
    return graph;
  } catch (const std::bad_alloc&) {
    return io_error(context, ": out of memory");
  } catch (const std::exception& error) {
    return internal_error(context, ": ", one_line(error.what()));
  }
}

}  // namespace

bool onnx_import_available() { return true; }

Result<ir::Graph> import_onnx_from_memory(const void* data, size_t size, const OnnxImportOptions& options,
                                          OnnxImportReport* report) {
  return import_model_bytes(data, size, "<memory>", options, report);
}

Result<ir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options, OnnxImportReport* report) {
  // InputFile refuses FIFOs (without blocking), directories and devices; the size is checked
  // against protobuf's limit before anything is read.
  GRAMLITE_ASSIGN_OR_RETURN(const InputFile file, InputFile::open(path));
  if (file.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return unsupported("importing ONNX model '", path, "': the file is larger than 2 GiB (protobuf's limit); use a ",
                       "model with external data merged into a smaller file");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const Buffer bytes, file.read_all(path));
  return import_model_bytes(bytes.data(), bytes.size(), path, options, report);
}

}  // namespace gramlite::interop
