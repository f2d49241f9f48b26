// ONNX export: check the graph, name every IR tensor, walk the nodes in (topological) IR order and
// let each op's emitter write ONNX nodes, then declare inputs / outputs, metadata, check, serialize.
#include "gramlite/interop/onnx_export.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <onnx/checker.h>

#include "base/one_line.h"
#include "gramlite/base/atomic_file.h"
#include "gramlite/ir/validate.h"
#include "interop/onnx_exporter.h"

#ifndef GRAMLITE_PROJECT_VERSION
#define GRAMLITE_PROJECT_VERSION ""
#endif

namespace gramlite::interop {
namespace onnx_export_detail {
namespace {

// ONNX IR version 7 is the one that introduced opset 13 (ONNX 1.8); every runtime that knows
// opset 13 reads it.
constexpr int64_t kIrVersion = 7;
constexpr const char* kBatchDimName = "batch";

Result<onnx::TensorProto::DataType> onnx_type(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kFloat32: return onnx::TensorProto::FLOAT;
    case ir::DType::kFloat16: return onnx::TensorProto::FLOAT16;
    case ir::DType::kInt8: return onnx::TensorProto::INT8;
    case ir::DType::kInt32: return onnx::TensorProto::INT32;
    case ir::DType::kInt64: return onnx::TensorProto::INT64;
    case ir::DType::kCount: break;
  }
  return unsupported("dtype ", static_cast<int>(dtype), " has no ONNX element type");
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_floats(const std::vector<float>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    // The shortest text that reads back as the same float (0.485f as "0.485", not "0.485000014").
    char number[32];
    for (int precision = 6; precision <= 9; ++precision) {
      std::snprintf(number, sizeof(number), "%.*g", precision, static_cast<double>(values[i]));
      if (std::strtof(number, nullptr) == values[i]) break;
    }
    out += (i ? "," : "") + std::string(number);
  }
  return out + "]";
}

}  // namespace

Exporter::Exporter(const ir::Graph& graph, const OnnxExportOptions& options, OnnxExportReport* report)
    : graph_(graph), options_(options), report_(report) {
  const size_t n = graph_.tensors.size();
  names_.resize(n);
  stored_ready_.assign(n, false);
  float_views_.resize(n);
  qparams_.resize(n);
  alias_of_.resize(n);
  for (size_t i = 0; i < n; ++i) alias_of_[i] = static_cast<ir::TensorId>(i);
  // IR names first, as they are (ONNX names are free text); a repeated or empty name gets a suffix.
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = graph_.tensors[i].name;
    names_[i] = fresh_name(name.empty() ? str_cat("tensor_", i) : name);
  }
}

std::string Exporter::fresh_name(const std::string& base) {
  if (used_names_.insert(base).second) return base;
  for (int i = 1;; ++i) {
    std::string name = str_cat(base, "/", i);
    if (used_names_.insert(name).second) return name;
  }
}

Status Exporter::unsupported_node(const ir::Node& node, const std::string& message) const {
  return unsupported("node '", node.name, "' (", ir::op_kind_name(node.kind), "): ", message);
}

Status Exporter::invalid_node(const ir::Node& node, const std::string& message) const {
  return invalid_argument("node '", node.name, "' (", ir::op_kind_name(node.kind), "): ", message);
}

onnx::NodeProto& Exporter::add_node(const std::string& op_type, const std::string& name, std::vector<std::string> inputs,
                                    std::vector<std::string> outputs) {
  onnx::NodeProto* node = out_->add_node();
  node->set_op_type(op_type);
  node->set_name(fresh_name(name));
  for (std::string& input : inputs) node->add_input(std::move(input));
  for (std::string& output : outputs) node->add_output(std::move(output));
  if (op_type == "QuantizeLinear") ++quantize_linear_;
  if (op_type == "DequantizeLinear") ++dequantize_linear_;
  return *node;
}

onnx::TensorProto* Exporter::add_initializer(const std::string& name, const ir::Shape& dims,
                                             onnx::TensorProto::DataType type) {
  onnx::TensorProto* t = out_->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  return t;
}

std::string Exporter::add_float_scalar(const std::string& base, float value) {
  const std::string name = fresh_name(base);
  add_initializer(name, {}, onnx::TensorProto::FLOAT)->add_float_data(value);
  return name;
}

std::string Exporter::add_int64_vector(const std::string& base, const std::vector<int64_t>& values) {
  const std::string name = fresh_name(base);
  onnx::TensorProto* t = add_initializer(name, {static_cast<int64_t>(values.size())}, onnx::TensorProto::INT64);
  for (int64_t v : values) t->add_int64_data(v);
  return name;
}

std::string Exporter::shared_float_scalar(const std::string& base, float value) {
  const auto it = shared_scalars_.find(base);
  if (it != shared_scalars_.end()) return it->second;
  const std::string name = add_float_scalar(base, value);
  shared_scalars_.emplace(base, name);
  return name;
}

ir::TensorId Exporter::resolve(ir::TensorId id) const {
  while (alias_of_[static_cast<size_t>(id)] != id) id = alias_of_[static_cast<size_t>(id)];
  return id;
}

void Exporter::alias(ir::TensorId out, ir::TensorId source) { alias_of_[static_cast<size_t>(out)] = resolve(source); }

// A constant's data as an initializer of its own element type, bytes as stored (ONNX raw_data is
// little-endian, as the IR's buffers are).
Result<std::string> Exporter::emit_constant(ir::TensorId id) {
  const size_t i = static_cast<size_t>(id);
  if (stored_ready_[i]) return names_[i];
  const ir::Tensor& t = tensor(id);
  GRAMLITE_ASSIGN_OR_RETURN(const onnx::TensorProto::DataType type, onnx_type(t.dtype));
  onnx::TensorProto* init = add_initializer(names_[i], t.shape, type);
  init->set_raw_data(t.data.data(), t.data.size());
  stored_ready_[i] = true;
  return names_[i];
}

Result<std::string> Exporter::stored_value(ir::TensorId id) {
  id = resolve(id);
  if (tensor(id).is_constant()) return emit_constant(id);
  if (!stored_ready_[static_cast<size_t>(id)]) {
    return internal_error("tensor '", tensor(id).name, "' is read before the node writing it was exported");
  }
  return names_[static_cast<size_t>(id)];
}

Result<std::pair<std::string, std::string>> Exporter::activation_qparams(ir::TensorId id) {
  id = resolve(id);
  auto& cached = qparams_[static_cast<size_t>(id)];
  if (!cached.first.empty()) return cached;
  const ir::Tensor& t = tensor(id);
  if (t.quant.scales.size() != 1) {
    return invalid_argument("int8 tensor '", t.name, "' has ", t.quant.scales.size(),
                            " scales; an int8 activation needs exactly one (per-tensor)");
  }
  const int32_t zero_point = t.quant.zero_points.empty() ? 0 : t.quant.zero_points[0];
  const std::string& base = names_[static_cast<size_t>(id)];
  cached.first = add_float_scalar(base + "/scale", t.quant.scales[0]);
  cached.second = fresh_name(base + "/zero_point");
  add_initializer(cached.second, {}, onnx::TensorProto::INT8)->add_int32_data(zero_point);
  return cached;
}

// A constant's float view: itself (float32), a Cast (float16, int64), or a DequantizeLinear
// (int8 weight, int32 bias) with per-channel scales on `axis` (the IR's quantization axis, moved
// when the data was transposed) or one scale.
Result<std::string> Exporter::constant_float_view(const ir::Tensor& t, const std::string& stored, int64_t axis) {
  const std::string& base = stored;
  switch (t.dtype) {
    case ir::DType::kFloat32:
      return stored;
    case ir::DType::kFloat16:
    case ir::DType::kInt64: {
      const std::string view = fresh_name(base + "/f32");
      onnx::NodeProto& cast = add_node("Cast", base + "/cast", {stored}, {view});
      onnx::AttributeProto* to = cast.add_attribute();
      to->set_name("to");
      to->set_type(onnx::AttributeProto::INT);
      to->set_i(onnx::TensorProto::FLOAT);
      return view;
    }
    case ir::DType::kInt8:
    case ir::DType::kInt32: {
      const ir::QuantParams& q = t.quant;
      const size_t channels = q.scales.size();
      const onnx::TensorProto::DataType zero_type =
          t.dtype == ir::DType::kInt8 ? onnx::TensorProto::INT8 : onnx::TensorProto::INT32;
      const ir::Shape dims = channels == 1 ? ir::Shape{} : ir::Shape{static_cast<int64_t>(channels)};
      const std::string scale = fresh_name(base + "/scale");
      onnx::TensorProto* s = add_initializer(scale, dims, onnx::TensorProto::FLOAT);
      for (float v : q.scales) s->add_float_data(v);
      const std::string zero_point = fresh_name(base + "/zero_point");
      onnx::TensorProto* z = add_initializer(zero_point, dims, zero_type);
      for (size_t c = 0; c < channels; ++c) z->add_int32_data(q.zero_points.empty() ? 0 : q.zero_points[c]);
      const std::string view = fresh_name(base + "/dq");
      onnx::NodeProto& dq = add_node("DequantizeLinear", base + "/dequantize", {stored, scale, zero_point}, {view});
      if (channels > 1) {
        onnx::AttributeProto* a = dq.add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(axis);
      }
      return view;
    }
    case ir::DType::kCount:
      break;
  }
  return unsupported("tensor '", t.name, "' has an invalid dtype");
}

Result<std::string> Exporter::float_input(ir::TensorId id) {
  id = resolve(id);
  const size_t i = static_cast<size_t>(id);
  if (!float_views_[i].empty()) return float_views_[i];
  const ir::Tensor& t = tensor(id);
  GRAMLITE_ASSIGN_OR_RETURN(const std::string stored, stored_value(id));
  if (t.is_constant()) {
    GRAMLITE_ASSIGN_OR_RETURN(float_views_[i], constant_float_view(t, stored, t.quant.axis < 0 ? 0 : t.quant.axis));
    return float_views_[i];
  }
  if (t.dtype == ir::DType::kFloat32) {
    float_views_[i] = stored;
  } else if (t.dtype == ir::DType::kInt8) {
    GRAMLITE_ASSIGN_OR_RETURN(auto q, activation_qparams(id));
    const std::string view = fresh_name(names_[i] + "/dq");
    add_node("DequantizeLinear", names_[i] + "/dequantize", {stored, q.first, q.second}, {view});
    float_views_[i] = view;
  } else {
    return unsupported("activation '", t.name, "' is ", ir::dtype_name(t.dtype), "; only float32 and int8 activations can be exported");
  }
  return float_views_[i];
}

// [rows, cols] -> [cols, rows], element by element whatever the dtype.
Result<std::string> Exporter::transposed_float_weight(ir::TensorId id) {
  id = resolve(id);
  const ir::Tensor& t = tensor(id);
  if (!t.is_constant() || t.shape.size() != 2) return internal_error("'", t.name, "' is not a 2-d constant");
  const size_t rows = static_cast<size_t>(t.shape[0]);
  const size_t cols = static_cast<size_t>(t.shape[1]);
  const size_t width = ir::dtype_size(t.dtype);
  std::string bytes(t.data.size(), '\0');
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) std::memcpy(&bytes[(c * rows + r) * width], t.data.data() + (r * cols + c) * width, width);
  }
  GRAMLITE_ASSIGN_OR_RETURN(const onnx::TensorProto::DataType type, onnx_type(t.dtype));
  const std::string name = fresh_name(names_[static_cast<size_t>(id)] + "/transposed");
  add_initializer(name, {t.shape[1], t.shape[0]}, type)->set_raw_data(std::move(bytes));
  const int64_t axis = t.quant.axis < 0 ? 0 : t.quant.axis;
  return constant_float_view(t, name, 1 - axis);
}

Result<std::string> Exporter::result_name(ir::TensorId out) {
  const ir::Tensor& t = tensor(out);
  if (t.dtype == ir::DType::kFloat32) return names_[static_cast<size_t>(out)];
  if (t.dtype == ir::DType::kInt8) return fresh_name(names_[static_cast<size_t>(out)] + "/f32");
  return unsupported("activation '", t.name, "' is ", ir::dtype_name(t.dtype), "; only float32 and int8 activations can be exported");
}

Status Exporter::finish_output(ir::TensorId out, const std::string& float_value) {
  const size_t i = static_cast<size_t>(out);
  if (tensor(out).dtype == ir::DType::kInt8) {
    GRAMLITE_ASSIGN_OR_RETURN(auto q, activation_qparams(out));
    add_node("QuantizeLinear", names_[i] + "/quantize", {float_value, q.first, q.second}, {names_[i]});
  } else if (float_value != names_[i]) {
    return internal_error("the float result of '", tensor(out).name, "' went to '", float_value, "'");
  }
  stored_ready_[i] = true;
  return Status::Ok();
}

// What ONNX cannot hold or gramlite cannot describe is refused before anything is written, each
// error naming the tensor.
Status Exporter::check_tensors() const {
  for (const ir::Tensor& t : graph_.tensors) {
    if (t.is_constant() && t.sparsity.encoding != ir::SparsityEncoding::kDense) {
      return unsupported("tensor '", t.name, "' is stored ", ir::sparsity_encoding_name(t.sparsity.encoding),
                         "-encoded; ONNX initializers are dense (densify the model first)");
    }
    if (t.dtype == ir::DType::kInt8 || (t.dtype == ir::DType::kInt32 && t.is_constant())) {
      if (t.quant.scales.empty()) {
        return invalid_argument(ir::dtype_name(t.dtype), " tensor '", t.name, "' has no quantization scale");
      }
      for (float s : t.quant.scales) {
        if (!(s > 0.0f) || !std::isfinite(s)) return invalid_argument("tensor '", t.name, "' has scale ", s, " (must be positive and finite)");
      }
      const int32_t low = t.dtype == ir::DType::kInt8 ? -128 : std::numeric_limits<int32_t>::min();
      const int32_t high = t.dtype == ir::DType::kInt8 ? 127 : std::numeric_limits<int32_t>::max();
      for (int32_t z : t.quant.zero_points) {
        if (z < low || z > high) return invalid_argument("tensor '", t.name, "' has zero point ", z, " outside its dtype's range");
      }
    }
  }
  return Status::Ok();
}

Status Exporter::fill_value_info(onnx::ValueInfoProto& info, ir::TensorId id, const std::string& name) const {
  const ir::Tensor& t = tensor(id);
  GRAMLITE_ASSIGN_OR_RETURN(const onnx::TensorProto::DataType type, onnx_type(t.dtype));
  info.set_name(name);
  onnx::TypeProto::Tensor* tt = info.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(type);
  onnx::TensorShapeProto* shape = tt->mutable_shape();
  for (int64_t d : t.shape) {
    onnx::TensorShapeProto::Dimension* dim = shape->add_dim();
    if (d == ir::kDynamicDim) {
      dim->set_dim_param(kBatchDimName);
    } else {
      dim->set_dim_value(d);
    }
  }
  return Status::Ok();
}

Status Exporter::add_graph_inputs() {
  for (ir::TensorId id : graph_.inputs) {
    GRAMLITE_RETURN_IF_ERROR(fill_value_info(*out_->add_input(), id, names_[static_cast<size_t>(id)]));
    stored_ready_[static_cast<size_t>(id)] = true;
  }
  return Status::Ok();
}

// A graph output keeps its IR name; one that is another tensor's alias (a Dropout's output) or a
// constant gets an Identity writing that name.
Status Exporter::add_graph_outputs() {
  std::unordered_set<ir::TensorId> seen;
  for (ir::TensorId id : graph_.outputs) {
    if (!seen.insert(id).second) return unsupported("graph output '", tensor(id).name, "' is listed twice");
    const std::string& name = names_[static_cast<size_t>(id)];
    GRAMLITE_ASSIGN_OR_RETURN(const std::string stored, stored_value(id));
    if (stored != name) {
      add_node("Identity", name + "/identity", {stored}, {name});
      stored_ready_[static_cast<size_t>(id)] = true;
    }
    GRAMLITE_RETURN_IF_ERROR(fill_value_info(*out_->add_output(), id, name));
  }
  return Status::Ok();
}

// metadata_props: what ONNX has no field for. Values are plain text or JSON (class names can hold
// commas).
void Exporter::record_metadata(onnx::ModelProto& model) const {
  const ir::ModelMetadata& m = graph_.metadata;
  const auto put = [&](const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  };
  std::string classes = "[";
  for (size_t i = 0; i < m.class_names.size(); ++i) classes += (i ? "," : "") + json_string(m.class_names[i]);
  put("gramlite.class_names", classes + "]");
  if (!m.architecture.empty()) put("gramlite.architecture", m.architecture);
  if (!m.name.empty()) put("gramlite.name", m.name);
  const ir::Preprocessing& p = m.preprocessing;
  put("gramlite.preprocessing",
      str_cat("{\"input\":\"pixels / 255, then (x - mean) / std per channel\",\"mean\":", json_floats(p.mean),
              ",\"std\":", json_floats(p.std), ",\"resize\":",
              json_string(p.resize == ir::ResizeMode::kStretch ? "stretch" : "shorter_side_crop"),
              ",\"channel_order\":", json_string(p.bgr ? "BGR" : "RGB"), ",\"layout\":\"NCHW\"}"));
  put("gramlite.output_kind", m.output_kind == ir::OutputKind::kLogits ? "logits" : "probabilities");
  for (const auto& [key, value] : m.extra) put("gramlite.extra." + key, value);
}

Result<onnx::ModelProto> Exporter::run() {
  if (Status s = ir::validate(graph_); !s.ok()) return invalid_argument("the graph is invalid: ", s.message());
  GRAMLITE_RETURN_IF_ERROR(check_tensors());
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("gramlite");
  model.set_producer_version(GRAMLITE_PROJECT_VERSION);
  model.set_doc_string("exported by gramlite (docs/onnx-export.md)");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxExportOpset);
  out_ = model.mutable_graph();
  out_->set_name(!options_.graph_name.empty() ? options_.graph_name
                                              : (graph_.metadata.name.empty() ? "gramlite" : graph_.metadata.name));

  GRAMLITE_RETURN_IF_ERROR(add_graph_inputs());
  bool quantized = false;
  for (const ir::Tensor& t : graph_.tensors) quantized = quantized || t.dtype == ir::DType::kInt8;
  for (const ir::Node& node : graph_.nodes) GRAMLITE_RETURN_IF_ERROR(emit_op(*this, node));
  GRAMLITE_RETURN_IF_ERROR(add_graph_outputs());
  record_metadata(model);
  out_ = nullptr;

  if (report_ != nullptr) {
    report_->nodes = static_cast<size_t>(model.graph().node_size());
    report_->initializers = static_cast<size_t>(model.graph().initializer_size());
    report_->quantize_linear = quantize_linear_;
    report_->dequantize_linear = dequantize_linear_;
    report_->quantized = quantized;
    report_->notes = notes_;
  }
  return model;
}

}  // namespace onnx_export_detail

bool onnx_export_available() { return true; }

// libonnx's checker reports through exceptions and protobuf may throw on allocation; nothing leaves
// this module as an exception.
Result<std::string> export_onnx_to_memory(const ir::Graph& graph, const OnnxExportOptions& options,
                                          OnnxExportReport* report) {
  try {
    onnx_export_detail::Exporter exporter(graph, options, report);
    Result<onnx::ModelProto> model = exporter.run();
    if (!model.ok()) return Status(model.status().code(), one_line(model.status().message()));
    if (options.run_checker) {
      try {
        onnx::checker::check_model(*model);
      } catch (const std::exception& error) {
        return internal_error("the exported model fails the ONNX checker (a gramlite bug): ", one_line(error.what()));
      }
    }
    if (model->ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return unsupported("the model is larger than 2 GiB, protobuf's limit for one ONNX file");
    }
    std::string bytes;
    if (!model->SerializeToString(&bytes)) return internal_error("protobuf could not serialize the model");
    return bytes;
  } catch (const std::bad_alloc&) {
    return io_error("out of memory");
  } catch (const std::exception& error) {
    return internal_error(one_line(error.what()));
  }
}

Status export_onnx(const ir::Graph& graph, const std::string& path, const OnnxExportOptions& options,
                   OnnxExportReport* report) {
  const std::string context = str_cat("exporting ONNX model '", path, "'");
  Result<std::string> bytes = export_onnx_to_memory(graph, options, report);
  if (!bytes.ok()) return bytes.status().with_context(context);
  const ByteSpan span{reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()};
  return write_file_atomically(path, {span});
}

}  // namespace gramlite::interop
