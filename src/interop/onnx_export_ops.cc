// One emitter per IR op kind: the importer's mapping (onnx_ops.cc) in reverse, at opset 13.
// docs/onnx-export.md lists each mapping. An emitter reads its inputs as float views (so that int8
// and int32 tensors arrive through DequantizeLinear), writes the float ONNX op, then the fused
// activation, then (int8 output) the QuantizeLinear: emit_computed() does the last two for all.
#include <functional>
#include <limits>

#include "interop/onnx_exporter.h"

namespace gramlite::interop::onnx_export_detail {
namespace {

using ir::OpKind;
using ir::TensorId;

void set_int(onnx::NodeProto& node, const char* name, int64_t value) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_ints(onnx::NodeProto& node, const char* name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_float(onnx::NodeProto& node, const char* name, float value) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

// ONNX HardSigmoid is clip(alpha * x + beta, 0, 1); the IR's (PyTorch's) relu6(x + 3) / 6 is
// alpha 1/6, beta 0.5.
void hard_sigmoid(Exporter& ex, const std::string& name, const std::string& in, const std::string& out) {
  onnx::NodeProto& n = ex.add_node("HardSigmoid", name, {in}, {out});
  set_float(n, "alpha", 1.0f / 6.0f);
  set_float(n, "beta", 0.5f);
}

// One activation from `in` into `out`. Opset 13 has no HardSwish: x * HardSigmoid(x), as torch
// exports it below opset 14 (and as the importer fuses it back).
void emit_activation(Exporter& ex, const std::string& name, ir::Activation activation, const std::string& in,
                     const std::string& out) {
  switch (activation) {
    case ir::Activation::kRelu:
      ex.add_node("Relu", name, {in}, {out});
      return;
    case ir::Activation::kRelu6:
      ex.add_node("Clip", name, {in, ex.shared_float_scalar("gramlite/clip_min_0", 0.0f),
                                 ex.shared_float_scalar("gramlite/clip_max_6", 6.0f)},
                  {out});
      return;
    case ir::Activation::kHardSwish: {
      const std::string gate = ex.fresh_name(out + "/gate");
      hard_sigmoid(ex, name + "/gate", in, gate);
      ex.add_node("Mul", name, {in, gate}, {out});
      return;
    }
    case ir::Activation::kHardSigmoid:
      hard_sigmoid(ex, name, in, out);
      return;
    case ir::Activation::kSigmoid:
      ex.add_node("Sigmoid", name, {in}, {out});
      return;
    case ir::Activation::kNone:
    case ir::Activation::kCount:
      break;
  }
  ex.add_node("Identity", name, {in}, {out});
}

// `body(into)` writes the op's float result into the ONNX value `into`; then the fused activation
// (a node of its own) and, for an int8 output, the QuantizeLinear.
Status emit_computed(Exporter& ex, const ir::Node& node, const std::function<Status(const std::string&)>& body) {
  const TensorId out = node.outputs[0];
  GRAMLITE_ASSIGN_OR_RETURN(const std::string target, ex.result_name(out));
  const bool fused = node.fused_activation != ir::Activation::kNone;
  const std::string into = fused ? ex.fresh_name(target + "/pre_activation") : target;
  GRAMLITE_RETURN_IF_ERROR(body(into));
  if (fused) {
    emit_activation(ex, node.name + "/" + ir::activation_name(node.fused_activation), node.fused_activation, into, target);
  }
  return ex.finish_output(out, target);
}

Result<std::vector<std::string>> float_inputs(Exporter& ex, const ir::Node& node) {
  std::vector<std::string> inputs;
  for (TensorId id : node.inputs) {
    GRAMLITE_ASSIGN_OR_RETURN(std::string name, ex.float_input(id));
    inputs.push_back(std::move(name));
  }
  return inputs;
}

// An op whose ONNX form is one node over the IR inputs; `attrs` sets its attributes.
Status simple(Exporter& ex, const ir::Node& node, const std::string& op_type,
              const std::function<void(onnx::NodeProto&)>& attrs = {}) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::string> inputs, float_inputs(ex, node));
  return emit_computed(ex, node, [&](const std::string& into) {
    onnx::NodeProto& n = ex.add_node(op_type, node.name, inputs, {into});
    if (attrs) attrs(n);
    return Status::Ok();
  });
}

Status emit_standalone_activation(Exporter& ex, const ir::Node& node) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::string> inputs, float_inputs(ex, node));
  const ir::Activation activation = ir::activation_of(node.kind).value_or(ir::Activation::kNone);
  return emit_computed(ex, node, [&](const std::string& into) {
    emit_activation(ex, node.name, activation, inputs[0], into);
    return Status::Ok();
  });
}

// ONNX order: [H begin, W begin, H end, W end].
std::vector<int64_t> pads_of(const ir::Padding2d& p) { return {p.top, p.left, p.bottom, p.right}; }

Status emit_conv(Exporter& ex, const ir::Node& node) {
  const auto& a = node.attr<ir::Conv2dAttrs>();
  return simple(ex, node, "Conv", [&](onnx::NodeProto& n) {
    set_ints(n, "kernel_shape", {a.kernel_h, a.kernel_w});
    set_ints(n, "strides", {a.stride_h, a.stride_w});
    set_ints(n, "pads", pads_of(a.padding));
    set_ints(n, "dilations", {a.dilation_h, a.dilation_w});
    set_int(n, "group", a.groups);
  });
}

// Pooling windows. The IR (like PyTorch) drops a ceil_mode window that would start in the end
// padding; ONNX before opset 19 keeps it. Where that changes the output size, the same windows are
// written without ceil_mode and with the end padding that floor mode needs (never more than the
// IR's own, so no average counts extra padding).
Status emit_pool(Exporter& ex, const ir::Node& node) {
  const auto& a = node.attr<ir::Pool2dAttrs>();
  const bool avg = node.kind == OpKind::kAvgPool;
  const ir::Shape& in = ex.tensor(node.inputs[0]).shape;
  const ir::Shape& out = ex.tensor(node.outputs[0]).shape;
  if (in.size() != 4 || out.size() != 4) return ex.unsupported_node(node, "only 4-d NCHW pooling is exported");
  std::vector<int64_t> pads = pads_of(a.padding);
  bool ceil_mode = a.ceil_mode;
  if (ceil_mode) {
    bool ceil_matches = true;
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t n = in[static_cast<size_t>(2 + axis)];
      const int64_t k = axis == 0 ? a.kernel_h : a.kernel_w;
      const int64_t s = axis == 0 ? a.stride_h : a.stride_w;
      const int64_t onnx_out = (n + pads[static_cast<size_t>(axis)] + pads[static_cast<size_t>(axis + 2)] - k + s - 1) / s + 1;
      ceil_matches = ceil_matches && onnx_out == out[static_cast<size_t>(2 + axis)];
    }
    if (!ceil_matches) {
      ceil_mode = false;
      for (int axis = 0; axis < 2; ++axis) {
        const int64_t n = in[static_cast<size_t>(2 + axis)];
        const int64_t k = axis == 0 ? a.kernel_h : a.kernel_w;
        const int64_t s = axis == 0 ? a.stride_h : a.stride_w;
        const int64_t end = (out[static_cast<size_t>(2 + axis)] - 1) * s + k - n - pads[static_cast<size_t>(axis)];
        if (end < 0 || end > pads[static_cast<size_t>(axis + 2)]) {
          return ex.unsupported_node(node, "ceil_mode windows that ONNX opset 13 pooling cannot express");
        }
        pads[static_cast<size_t>(axis + 2)] = end;
      }
      ex.note(str_cat("node '", node.name, "': ceil_mode pooling written as floor mode with adjusted end padding"));
    }
  }
  return simple(ex, node, avg ? "AveragePool" : "MaxPool", [&](onnx::NodeProto& n) {
    set_ints(n, "kernel_shape", {a.kernel_h, a.kernel_w});
    set_ints(n, "strides", {a.stride_h, a.stride_w});
    set_ints(n, "pads", pads);
    if (ceil_mode) set_int(n, "ceil_mode", 1);
    if (avg) set_int(n, "count_include_pad", a.count_include_pad ? 1 : 0);
  });
}

// Linear: Gemm(x, W, b, transB=1) on 2-d input (torch's nn.Linear export); on other ranks, where
// Gemm does not apply, MatMul with the transposed weight (+ Add of the bias), as the importer reads.
Status emit_linear(Exporter& ex, const ir::Node& node) {
  if (ex.tensor(node.inputs[0]).shape.size() == 2) {
    return simple(ex, node, "Gemm", [](onnx::NodeProto& n) { set_int(n, "transB", 1); });
  }
  GRAMLITE_ASSIGN_OR_RETURN(const std::string x, ex.float_input(node.inputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const std::string wt, ex.transposed_float_weight(node.inputs[1]));
  std::string bias;
  if (node.inputs.size() > 2) {
    GRAMLITE_ASSIGN_OR_RETURN(bias, ex.float_input(node.inputs[2]));
  }
  return emit_computed(ex, node, [&](const std::string& into) {
    if (bias.empty()) {
      ex.add_node("MatMul", node.name, {x, wt}, {into});
      return Status::Ok();
    }
    const std::string product = ex.fresh_name(into + "/matmul");
    ex.add_node("MatMul", node.name + "/matmul", {x, wt}, {product});
    ex.add_node("Add", node.name, {product, bias}, {into});
    return Status::Ok();
  });
}

Status emit_reshape(Exporter& ex, const ir::Node& node) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::string> inputs, float_inputs(ex, node));
  const std::string shape = ex.add_int64_vector(node.name + "/shape", node.attr<ir::ReshapeAttrs>().shape);
  return emit_computed(ex, node, [&](const std::string& into) {
    ex.add_node("Reshape", node.name, {inputs[0], shape}, {into});
    return Status::Ok();
  });
}

// Pad (opset 11+): pads and the constant value are inputs.
Status emit_pad(Exporter& ex, const ir::Node& node) {
  const auto& a = node.attr<ir::PadAttrs>();
  if (a.pads.size() != 2 * ex.tensor(node.inputs[0]).shape.size()) {
    return ex.invalid_node(node, str_cat(a.pads.size(), " pads for a rank-", ex.tensor(node.inputs[0]).shape.size(), " input"));
  }
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::string> inputs, float_inputs(ex, node));
  const std::string pads = ex.add_int64_vector(node.name + "/pads", a.pads);
  const std::string value = ex.add_float_scalar(node.name + "/constant_value", a.value);
  return emit_computed(ex, node, [&](const std::string& into) {
    ex.add_node("Pad", node.name, {inputs[0], pads, value}, {into});  // mode "constant" is the default
    return Status::Ok();
  });
}

// Dropout is the identity at inference: its output is its input's value (no node). An int8
// Dropout whose output parameters differ from its input's is written as a requantizing Identity.
Status emit_dropout(Exporter& ex, const ir::Node& node) {
  const ir::Tensor& x = ex.tensor(node.inputs[0]);
  const ir::Tensor& y = ex.tensor(node.outputs[0]);
  if (x.dtype == y.dtype && (x.dtype != ir::DType::kInt8 || x.quant == y.quant)) {
    ex.alias(node.outputs[0], node.inputs[0]);
    return Status::Ok();
  }
  return simple(ex, node, "Identity");
}

// Quantize: a QuantizeLinear straight into the int8 value. Dequantize: a DequantizeLinear of the
// int8 value into the float output (a graph output keeps its IR name).
Status emit_quantize(Exporter& ex, const ir::Node& node) {
  if (ex.tensor(node.outputs[0]).dtype != ir::DType::kInt8) return ex.invalid_node(node, "the output is not int8");
  GRAMLITE_ASSIGN_OR_RETURN(const std::string x, ex.float_input(node.inputs[0]));
  return ex.finish_output(node.outputs[0], x);
}

Status emit_dequantize(Exporter& ex, const ir::Node& node) {
  if (ex.tensor(node.inputs[0]).dtype != ir::DType::kInt8) return ex.invalid_node(node, "the input is not int8");
  if (ex.tensor(node.outputs[0]).dtype != ir::DType::kFloat32) return ex.invalid_node(node, "the output is not float32");
  GRAMLITE_ASSIGN_OR_RETURN(const std::string q, ex.stored_value(node.inputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const auto params, ex.activation_qparams(node.inputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const std::string y, ex.result_name(node.outputs[0]));
  ex.add_node("DequantizeLinear", node.name, {q, params.first, params.second}, {y});
  return ex.finish_output(node.outputs[0], y);
}

}  // namespace

Status emit_op(Exporter& ex, const ir::Node& node) {
  switch (node.kind) {
    case OpKind::kConv2d:
      return emit_conv(ex, node);
    case OpKind::kBatchNorm:
      return simple(ex, node, "BatchNormalization",
                    [&](onnx::NodeProto& n) { set_float(n, "epsilon", node.attr<ir::BatchNormAttrs>().epsilon); });
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kHardSwish:
    case OpKind::kHardSigmoid:
    case OpKind::kSigmoid:
      return emit_standalone_activation(ex, node);
    case OpKind::kAdd:
      return simple(ex, node, "Add");
    case OpKind::kMul:
      return simple(ex, node, "Mul");
    case OpKind::kConcat:
      return simple(ex, node, "Concat", [&](onnx::NodeProto& n) { set_int(n, "axis", node.attr<ir::ConcatAttrs>().axis); });
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      return emit_pool(ex, node);
    case OpKind::kGlobalAvgPool:
      return simple(ex, node, "GlobalAveragePool");
    case OpKind::kFlatten:
      return simple(ex, node, "Flatten", [&](onnx::NodeProto& n) { set_int(n, "axis", node.attr<ir::FlattenAttrs>().axis); });
    case OpKind::kReshape:
      return emit_reshape(ex, node);
    case OpKind::kLinear:
      return emit_linear(ex, node);
    case OpKind::kDropout:
      return emit_dropout(ex, node);
    case OpKind::kSoftmax:
      return simple(ex, node, "Softmax", [&](onnx::NodeProto& n) { set_int(n, "axis", node.attr<ir::SoftmaxAttrs>().axis); });
    case OpKind::kPad:
      return emit_pad(ex, node);
    case OpKind::kQuantize:
      return emit_quantize(ex, node);
    case OpKind::kDequantize:
      return emit_dequantize(ex, node);
    case OpKind::kCount:
      break;
  }
  return ex.unsupported_node(node, "op kind has no ONNX mapping");
}

}  // namespace gramlite::interop::onnx_export_detail
