// Full-integer int8 conversion of a prepared float graph (docs/quantization.md, "The int8 graph").
//
// One pass over the nodes in order: each node runs in int8 when it has an int8 kernel (and is not
// kept in float); its inputs are taken in the domain it runs in, through a Quantize or Dequantize
// node inserted right before its first reader when the producer runs in the other one. Tensor
// names are kept: an int8 tensor keeps the name of the float tensor it replaces, and the copies
// get derived names ("<name>.quantized", "<name>.dequantized"), except that a graph output keeps
// its name on the float side (images in, logits out, under the names the model had).
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compress/quantize/graph_rewrite.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

using ir::OpKind;
using ir::TensorId;

// Ops whose int8 output has exactly the parameters of their int8 input (no arithmetic on values).
bool keeps_input_params(OpKind kind) {
  return kind == OpKind::kMaxPool || kind == OpKind::kFlatten || kind == OpKind::kReshape ||
         kind == OpKind::kDropout || kind == OpKind::kPad;
}

// Whether the int8 reference kernels run `node` (docs/quantization.md, the table per op).
bool has_int8_kernel(const ir::Graph& graph, const ir::Node& node) {
  switch (node.kind) {
    case OpKind::kConv2d:
    case OpKind::kLinear: {
      const ir::Activation a = node.fused_activation;
      if (a != ir::Activation::kNone && a != ir::Activation::kRelu && a != ir::Activation::kRelu6) return false;
      if (!internal::is_float_constant(graph, node.inputs[1])) return false;
      return node.inputs.size() < 3 || internal::is_float_constant(graph, node.inputs[2]);
    }
    case OpKind::kAdd:
    case OpKind::kMul:
    case OpKind::kConcat: {
      const ir::Activation a = node.fused_activation;
      const bool clamp = a == ir::Activation::kNone || a == ir::Activation::kRelu || a == ir::Activation::kRelu6;
      if (node.kind == OpKind::kAdd ? !clamp : a != ir::Activation::kNone) return false;
      for (TensorId in : node.inputs) {
        if (graph.tensor(in).is_constant()) return false;  // e.g. an imported scalar: left in float
      }
      return true;
    }
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
    case OpKind::kGlobalAvgPool:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kHardSwish:
    case OpKind::kHardSigmoid:
    case OpKind::kSigmoid:
    case OpKind::kFlatten:
    case OpKind::kReshape:
    case OpKind::kDropout:
    case OpKind::kPad:
      return true;
    case OpKind::kBatchNorm:  // not folded into a convolution: no int8 kernel
    case OpKind::kSoftmax:    // normalises: the logits are dequantized first
    case OpKind::kQuantize:
    case OpKind::kDequantize:
    case OpKind::kCount:
      return false;
  }
  return false;
}

ir::QuantParams per_tensor_params(const ir::AffineQuant& q) {
  ir::QuantParams params;
  params.scales = {q.scale};
  params.zero_points = {q.zero_point};
  params.axis = -1;
  return params;
}

std::string unique_tensor_name(const ir::Graph& graph, const std::string& base) {
  std::string name = base;
  for (int i = 2; graph.find_tensor(name).has_value(); ++i) name = base + "." + std::to_string(i);
  return name;
}

class Int8Converter {
 public:
  Int8Converter(ir::Graph& graph, const ir::ActivationRanges& ranges, const Int8Options& options)
      : g_(graph), ranges_(ranges), options_(options) {}

  Status run();

 private:
  Status choose_float_nodes();
  Result<ir::QuantParams> params_from_range(TensorId id) const;
  Result<TensorId> int8_input(TensorId id);
  TensorId float_input(TensorId id);
  Status quantize_weight_layer(ir::Node& node);
  void emit_quantize(TensorId from, TensorId to);
  void emit_dequantize(TensorId from, TensorId to);

  ir::Graph& g_;
  const ir::ActivationRanges& ranges_;
  const Int8Options& options_;
  std::vector<std::string> original_names_;  // per tensor id of the prepared graph
  std::vector<bool> int8_node_;
  std::vector<bool> is_int8_;                 // per tensor: lives in int8 in the result
  std::map<TensorId, TensorId> quantized_;    // float tensor -> its Quantize copy
  std::map<TensorId, TensorId> dequantized_;  // int8 tensor -> its Dequantize copy
  std::set<TensorId> emitted_;                // copies whose node exists already
  std::vector<size_t> uses_;                  // per constant of the prepared graph: readers
  std::map<TensorId, TensorId> int8_weights_;  // float weight read by several nodes -> int8 copy
  std::vector<ir::Node> out_;
};

Status Int8Converter::choose_float_nodes() {
  std::set<std::string> keep(options_.keep_float.begin(), options_.keep_float.end());
  for (const std::string& name : keep) {
    if (!g_.find_node(name).has_value()) {
      return invalid_argument("keep-float: the model has no layer named '", name, "' (see 'gramlite info')");
    }
  }
  const std::vector<int> producers = g_.producers();
  int8_node_.assign(g_.nodes.size(), false);
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    const ir::Node& node = g_.nodes[n];
    bool kept = keep.count(node.name) > 0;
    // The lookup-table activation split off a kept layer stays with it.
    if (!kept && ir::activation_of(node.kind).has_value() && !node.inputs.empty()) {
      const int p = producers[static_cast<size_t>(node.inputs[0])];
      kept = p >= 0 && keep.count(g_.nodes[static_cast<size_t>(p)].name) > 0 &&
             g_.tensor(node.inputs[0]).name == internal::pre_activation_name(g_.nodes[static_cast<size_t>(p)]);
    }
    int8_node_[n] = !kept && has_int8_kernel(g_, node);
  }
  return Status::Ok();
}

Result<ir::QuantParams> Int8Converter::params_from_range(TensorId id) const {
  const std::string& name = original_names_[static_cast<size_t>(id)];
  const auto range = ranges_.find(name);
  if (range == ranges_.end()) {
    return invalid_argument("tensor '", name, "' has no activation range (calibrate the prepared graph first)");
  }
  if (!std::isfinite(range->second.min) || !std::isfinite(range->second.max) || range->second.min > range->second.max) {
    return invalid_argument("tensor '", name, "' has an invalid activation range [", range->second.min, ", ",
                            range->second.max, "]");
  }
  return per_tensor_params(ir::choose_activation_quant(range->second.min, range->second.max));
}

void Int8Converter::emit_quantize(TensorId from, TensorId to) {
  ir::Node node;
  node.kind = OpKind::kQuantize;
  node.name = original_names_[static_cast<size_t>(from)] + ".quantize";
  node.inputs = {from};
  node.outputs = {to};
  node.attrs = ir::default_attributes(node.kind);
  out_.push_back(std::move(node));
  emitted_.insert(to);
}

void Int8Converter::emit_dequantize(TensorId from, TensorId to) {
  ir::Node node;
  node.kind = OpKind::kDequantize;
  node.name = original_names_[static_cast<size_t>(from)] + ".dequantize";
  node.inputs = {from};
  node.outputs = {to};
  node.attrs = ir::default_attributes(node.kind);
  out_.push_back(std::move(node));
  emitted_.insert(to);
}

Result<TensorId> Int8Converter::int8_input(TensorId id) {
  if (is_int8_[static_cast<size_t>(id)]) return id;
  const auto found = quantized_.find(id);
  if (found != quantized_.end()) return found->second;
  GRAMLITE_ASSIGN_OR_RETURN(ir::QuantParams params, params_from_range(id));
  const ir::Tensor& source = g_.tensor(id);
  const std::string name = unique_tensor_name(g_, original_names_[static_cast<size_t>(id)] + ".quantized");
  const TensorId copy = g_.add_value(name, source.shape, ir::DType::kInt8);
  g_.tensor(copy).quant = std::move(params);
  is_int8_.push_back(true);
  original_names_.push_back(name);
  quantized_[id] = copy;
  emit_quantize(id, copy);
  return copy;
}

TensorId Int8Converter::float_input(TensorId id) {
  if (!is_int8_[static_cast<size_t>(id)]) return id;
  const auto found = dequantized_.find(id);
  if (found != dequantized_.end()) {
    if (emitted_.count(found->second) == 0) emit_dequantize(id, found->second);
    return found->second;
  }
  const ir::Tensor& source = g_.tensor(id);
  const std::string name = unique_tensor_name(g_, original_names_[static_cast<size_t>(id)] + ".dequantized");
  const TensorId copy = g_.add_value(name, source.shape, ir::DType::kFloat32);
  is_int8_.push_back(false);
  original_names_.push_back(name);
  dequantized_[id] = copy;
  emit_dequantize(id, copy);
  return copy;
}

Status Int8Converter::quantize_weight_layer(ir::Node& node) {
  const float input_scale = g_.tensor(node.inputs[0]).quant.scales.at(0);
  const TensorId weight_id = node.inputs[1];
  const bool shared = uses_[static_cast<size_t>(weight_id)] > 1;
  TensorId int8_weight = weight_id;
  if (!shared) {
    g_.tensor(weight_id) = internal::quantize_weight(g_.tensor(weight_id), options_.per_tensor_weights, options_.weight_bits);
  } else if (const auto found = int8_weights_.find(weight_id); found != int8_weights_.end()) {
    int8_weight = found->second;
  } else {
    ir::Tensor copy = internal::quantize_weight(g_.tensor(weight_id), options_.per_tensor_weights, options_.weight_bits);
    copy.name = unique_tensor_name(g_, copy.name + ".int8");
    int8_weight = g_.add_tensor(std::move(copy));
    is_int8_.push_back(true);
    original_names_.push_back(g_.tensor(int8_weight).name);
    int8_weights_[weight_id] = int8_weight;
  }
  node.inputs[1] = int8_weight;
  const std::vector<float> weight_scales = g_.tensor(int8_weight).quant.scales;
  const int64_t channels = g_.tensor(int8_weight).shape.at(0);

  std::vector<float> bias(static_cast<size_t>(channels), 0.0f);
  const bool has_bias = node.inputs.size() > 2;
  if (has_bias) bias = internal::float_values(g_.tensor(node.inputs[2]));
  ir::Tensor q;
  q.name = has_bias ? g_.tensor(node.inputs[2]).name : unique_tensor_name(g_, node.name + ".bias");
  q.shape = {channels};
  q.dtype = ir::DType::kInt32;
  q.quant.axis = 0;
  for (float ws : weight_scales) {
    q.quant.scales.push_back(input_scale * ws);  // symmetric: no zero points stored (all 0)
  }
  Buffer data = Buffer::allocate(static_cast<size_t>(channels) * sizeof(int32_t));
  auto* values = data.mutable_as<int32_t>();
  for (int64_t c = 0; c < channels; ++c) {
    const double scale = q.quant.scales[weight_scales.size() == 1 ? 0 : static_cast<size_t>(c)];
    const double v = std::nearbyint(static_cast<double>(bias[static_cast<size_t>(c)]) / scale);
    const double lo = std::numeric_limits<int32_t>::min();
    const double hi = std::numeric_limits<int32_t>::max();
    values[c] = static_cast<int32_t>(v < lo ? lo : (v > hi ? hi : v));
  }
  q.data = std::move(data);
  if (has_bias && uses_[static_cast<size_t>(node.inputs[2])] == 1) {
    g_.tensor(node.inputs[2]) = std::move(q);
  } else {
    if (has_bias) q.name = unique_tensor_name(g_, q.name + "." + node.name);
    const TensorId id = g_.add_tensor(std::move(q));
    is_int8_.push_back(false);
    original_names_.push_back(g_.tensor(id).name);
    if (has_bias) {
      node.inputs[2] = id;
    } else {
      node.inputs.push_back(id);
    }
  }
  return Status::Ok();
}

Status Int8Converter::run() {
  GRAMLITE_RETURN_IF_ERROR(choose_float_nodes());
  for (const ir::Tensor& t : g_.tensors) original_names_.push_back(t.name);
  is_int8_.assign(g_.tensors.size(), false);
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    if (int8_node_[n]) is_int8_[static_cast<size_t>(g_.nodes[n].outputs[0])] = true;
  }
  // A graph output computed in int8: the int8 tensor takes a derived name, the float one (written
  // by a Dequantize) the model's name for it.
  for (TensorId& out : g_.outputs) {
    if (!is_int8_[static_cast<size_t>(out)]) continue;
    if (const auto found = dequantized_.find(out); found != dequantized_.end()) {
      out = found->second;
      continue;
    }
    const std::string name = g_.tensor(out).name;
    const ir::Shape shape = g_.tensor(out).shape;
    g_.tensor(out).name = unique_tensor_name(g_, name + ".quantized");
    const TensorId copy = g_.add_value(name, shape, ir::DType::kFloat32);
    is_int8_.push_back(false);
    original_names_.push_back(original_names_[static_cast<size_t>(out)]);
    dequantized_[out] = copy;
    out = copy;
  }

  uses_.assign(g_.tensors.size(), 0);
  for (const ir::Node& node : g_.nodes) {
    for (TensorId in : node.inputs) ++uses_[static_cast<size_t>(in)];
  }
  const std::vector<ir::Node> nodes = std::move(g_.nodes);
  g_.nodes.clear();
  for (size_t n = 0; n < nodes.size(); ++n) {
    ir::Node node = nodes[n];
    if (!int8_node_[n]) {
      for (TensorId& in : node.inputs) {
        if (!g_.tensor(in).is_constant()) in = float_input(in);
      }
      out_.push_back(std::move(node));
      continue;
    }
    const size_t activations = ir::op_traits(node.kind).first_constant_input;
    for (size_t i = 0; i < node.inputs.size() && i < activations; ++i) {
      GRAMLITE_ASSIGN_OR_RETURN(node.inputs[i], int8_input(node.inputs[i]));
    }
    ir::Tensor& output = g_.tensor(node.outputs[0]);
    if (keeps_input_params(node.kind)) {
      output.quant = g_.tensor(node.inputs[0]).quant;
    } else {
      GRAMLITE_ASSIGN_OR_RETURN(output.quant, params_from_range(node.outputs[0]));
    }
    g_.tensor(node.outputs[0]).dtype = ir::DType::kInt8;
    if (node.kind == OpKind::kConv2d || node.kind == OpKind::kLinear) {
      GRAMLITE_RETURN_IF_ERROR(quantize_weight_layer(node).with_context(str_cat("node '", node.name, "'")));
    }
    out_.push_back(std::move(node));
  }
  for (const auto& [from, to] : dequantized_) {
    if (emitted_.count(to) == 0) emit_dequantize(from, to);
  }
  g_.nodes = std::move(out_);
  return Status::Ok();
}

}  // namespace

Result<ir::Graph> convert_to_int8(const ir::Graph& prepared, const ir::ActivationRanges& ranges,
                                  const Int8Options& options) {
  if (options.weight_bits != 7 && options.weight_bits != 8) {
    return invalid_argument("int8 weights use 7 or 8 bits, got ", options.weight_bits);
  }
  GRAMLITE_RETURN_IF_ERROR(ir::validate(prepared));
  for (const ir::Node& node : prepared.nodes) {
    if (node.kind == OpKind::kQuantize || node.kind == OpKind::kDequantize) {
      return unsupported("node '", node.name, "': the graph is already quantized");
    }
  }
  ir::Graph graph = prepared;
  internal::split_table_activations(graph);
  Int8Converter converter(graph, ranges, options);
  GRAMLITE_RETURN_IF_ERROR(converter.run());
  GRAMLITE_RETURN_IF_ERROR(ir::remove_dead_nodes(graph).status());  // float weights now unused
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("the int8 graph"));
  return graph;
}

std::vector<std::string> float_nodes_in_int8_graph(const ir::Graph& graph) {
  bool quantized = false;
  for (const ir::Node& node : graph.nodes) quantized = quantized || node.kind == OpKind::kQuantize;
  std::vector<std::string> names;
  if (!quantized) return names;
  for (const ir::Node& node : graph.nodes) {
    if (node.kind == OpKind::kQuantize || node.kind == OpKind::kDequantize || node.outputs.empty()) continue;
    if (graph.tensor(node.outputs[0]).dtype == ir::DType::kFloat32) names.push_back(node.name);
  }
  return names;
}

}  // namespace gramlite::compress
