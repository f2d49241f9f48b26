// The ONNX operators the importer maps onto IR ops, one converter each. docs/onnx-import.md lists
// them; the order here follows that table. A converter reads its inputs through the Importer (so
// that constants known at import time can be consumed: shapes, pads, axes, Clip bounds), adds IR
// nodes, and binds the ONNX outputs.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "interop/onnx_importer.h"

namespace gramlite::interop::onnx_detail {
namespace {

using ir::OpKind;
using ir::TensorId;

// Kernel sizes, strides and dilations beyond this are not images; the bound keeps int32 maths safe.
constexpr int64_t kMaxWindow = 1 << 16;
constexpr int64_t kMaxPad = 1 << 20;

std::string fresh_name(Importer& im, const std::string& base) {
  if (!im.graph().find_tensor(base)) return base;
  for (int i = 1;; ++i) {
    std::string name = str_cat(base, "/", i);
    if (!im.graph().find_tensor(name)) return name;
  }
}

// A scalar float constant (shape [1], which broadcasts against anything).
TensorId scalar(Importer& im, const onnx::NodeProto& node, const std::string& what, float value) {
  return im.add_constant(fresh_name(im, node.output(0) + "/" + what), {1}, {value});
}

Result<TensorId> emit(Importer& im, const onnx::NodeProto& node, OpKind kind, std::vector<TensorId> inputs,
                      ir::Attributes attrs = {}, const std::string& suffix = "") {
  if (std::holds_alternative<std::monostate>(attrs)) attrs = ir::default_attributes(kind);
  const std::string output = suffix.empty() ? node.output(0) : fresh_name(im, node.output(0) + "/" + suffix);
  return im.add_node(node, kind, std::move(inputs), std::move(attrs), suffix, output);
}

Status emit_and_bind(Importer& im, const onnx::NodeProto& node, OpKind kind, std::vector<TensorId> inputs,
                     ir::Attributes attrs = {}) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId out, emit(im, node, kind, std::move(inputs), std::move(attrs)));
  return im.bind_output(node, 0, out);
}

Status unary(Importer& im, const onnx::NodeProto& node, OpKind kind) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  return emit_and_bind(im, node, kind, {x});
}

// Integer tensor input i (shapes, pads, axes); nullptr with an error when it is not a constant.
Result<const ConstantValue*> int_constant(Importer& im, const onnx::NodeProto& node, int i, const char* what) {
  const ConstantValue* value = im.constant_input(node, i);
  if (value == nullptr) {
    if (!im.has_input(node, i)) return im.invalid_node(node, str_cat("the ", what, " (input ", i, ") is missing"));
    return im.unsupported_node(node, str_cat("the ", what, " '", node.input(i), "' is computed by the graph; only ",
                                             "constant ", what, "s are supported (export with constant folding on)"));
  }
  if (!value->is_integer) return im.invalid_node(node, str_cat("the ", what, " '", node.input(i), "' is not an integer tensor"));
  return value;
}

// A float scalar from optional constant input i (Clip bounds, Pad value, Dropout ratio).
Result<std::optional<float>> scalar_input(Importer& im, const onnx::NodeProto& node, int i, const char* what) {
  if (!im.has_input(node, i)) return std::optional<float>();
  const ConstantValue* value = im.constant_input(node, i);
  if (value == nullptr) {
    return im.unsupported_node(node, str_cat("the ", what, " '", node.input(i), "' is computed by the graph; only constants are supported"));
  }
  if (value->size() != 1) return im.invalid_node(node, str_cat("the ", what, " '", node.input(i), "' is not a scalar"));
  return std::optional<float>(value->as_floats()[0]);
}

int normalize_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return -1;
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

// ---- windows (Conv, pools) --------------------------------------------------------------------

struct Window {
  int32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  ir::Padding2d padding;
};

using IntPair = std::array<int32_t, 2>;

Result<IntPair> pair_attr(Importer& im, const onnx::NodeProto& node, const char* name, int32_t fallback,
                                         int64_t low, int64_t high) {
  GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> values, im.ints_attr(node, name));
  if (!values) return IntPair{fallback, fallback};
  if (values->size() != 2) {
    return im.unsupported_node(node, str_cat("attribute '", name, "' has ", values->size(), " entries; only 2-d (NCHW) windows are supported"));
  }
  for (int64_t v : *values) {
    if (v < low || v > high) return im.invalid_node(node, str_cat("attribute '", name, "' value ", v, " is out of range"));
  }
  return IntPair{static_cast<int32_t>((*values)[0]), static_cast<int32_t>((*values)[1])};
}

// kernel_shape, strides, dilations, pads and auto_pad, resolved against the input's H and W.
Result<Window> read_window(Importer& im, const onnx::NodeProto& node, const ir::Shape& x,
                           std::optional<std::array<int64_t, 2>> weight_kernel) {
  if (x.size() != 4) {
    return im.unsupported_node(node, str_cat("input has shape ", ir::shape_to_string(x), "; only 4-d NCHW inputs are supported"));
  }
  Window w;
  GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> kernel_attr, im.ints_attr(node, "kernel_shape"));
  if (!kernel_attr && !weight_kernel) return im.invalid_node(node, "attribute 'kernel_shape' is missing");
  GRAMLITE_ASSIGN_OR_RETURN(IntPair kernel, pair_attr(im, node, "kernel_shape", 1, 1, kMaxWindow));
  if (weight_kernel) {
    if (kernel_attr && (kernel[0] != (*weight_kernel)[0] || kernel[1] != (*weight_kernel)[1])) {
      return im.invalid_node(node, str_cat("kernel_shape ", kernel[0], "x", kernel[1], " differs from the weight's ",
                                           (*weight_kernel)[0], "x", (*weight_kernel)[1]));
    }
    if ((*weight_kernel)[0] > kMaxWindow || (*weight_kernel)[1] > kMaxWindow) return im.invalid_node(node, "kernel is too large");
    kernel = {static_cast<int32_t>((*weight_kernel)[0]), static_cast<int32_t>((*weight_kernel)[1])};
  }
  GRAMLITE_ASSIGN_OR_RETURN(IntPair stride, pair_attr(im, node, "strides", 1, 1, kMaxWindow));
  GRAMLITE_ASSIGN_OR_RETURN(IntPair dilation, pair_attr(im, node, "dilations", 1, 1, kMaxWindow));
  w.kernel_h = kernel[0];
  w.kernel_w = kernel[1];
  w.stride_h = stride[0];
  w.stride_w = stride[1];
  w.dilation_h = dilation[0];
  w.dilation_w = dilation[1];
  GRAMLITE_ASSIGN_OR_RETURN(std::string auto_pad, im.string_attr(node, "auto_pad", "NOTSET"));
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> pads, im.ints_attr(node, "pads"));
    if (pads) {
      if (pads->size() != 4) return im.unsupported_node(node, str_cat("attribute 'pads' has ", pads->size(), " entries, expected 4"));
      for (int64_t p : *pads) {
        if (p < 0 || p > kMaxPad) return im.unsupported_node(node, str_cat("pad ", p, " is out of range (negative pads are not supported)"));
      }
      // ONNX order: [H begin, W begin, H end, W end].
      w.padding = {static_cast<int32_t>((*pads)[0]), static_cast<int32_t>((*pads)[1]), static_cast<int32_t>((*pads)[2]),
                   static_cast<int32_t>((*pads)[3])};
    }
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // Output = ceil(input / stride); the total padding that needs is split evenly, the odd pixel
    // at the end (SAME_UPPER, TensorFlow's "same") or at the beginning (SAME_LOWER).
    const auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int32_t* begin, int32_t* end) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
      const int64_t small = total / 2;
      *begin = static_cast<int32_t>(auto_pad == "SAME_UPPER" ? small : total - small);
      *end = static_cast<int32_t>(total - *begin);
    };
    if (x[2] > kMaxPad || x[3] > kMaxPad) return im.invalid_node(node, "input is too large");
    same(x[2], w.kernel_h, w.stride_h, w.dilation_h, &w.padding.top, &w.padding.bottom);
    same(x[3], w.kernel_w, w.stride_w, w.dilation_w, &w.padding.left, &w.padding.right);
  } else if (auto_pad != "VALID") {
    return im.invalid_node(node, str_cat("auto_pad '", auto_pad, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"));
  }
  return w;
}

// A Pad of zeros over H / W whose output only this node reads: returns its input and adds its
// amounts to `padding` (Keras' ZeroPadding2D before a 'valid' convolution becomes one Conv2d with
// asymmetric padding). The Pad node is left without readers and removed as dead code.
TensorId fold_zero_pad(Importer& im, TensorId x, ir::Padding2d* padding) {
  const ir::Node* pad = im.producer(x);
  if (pad == nullptr || pad->kind != OpKind::kPad || im.use_count(im.graph().tensor(x).name) != 1 ||
      im.graph().is_graph_output(x)) {
    return x;
  }
  const auto& a = pad->attr<ir::PadAttrs>();
  if (a.value != 0.0f || a.pads.size() != 8 || a.pads[0] != 0 || a.pads[1] != 0 || a.pads[4] != 0 || a.pads[5] != 0) return x;
  for (int64_t p : a.pads) {
    if (p > kMaxPad) return x;
  }
  padding->top += static_cast<int32_t>(a.pads[2]);
  padding->left += static_cast<int32_t>(a.pads[3]);
  padding->bottom += static_cast<int32_t>(a.pads[6]);
  padding->right += static_cast<int32_t>(a.pads[7]);
  return pad->inputs[0];
}

Status convert_conv(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  GRAMLITE_ASSIGN_OR_RETURN(TensorId weight, im.weight_input(node, 1, "weight"));
  const ir::Shape ws = im.shape(weight);
  if (ws.size() != 4) {
    return im.unsupported_node(node, str_cat("weight has shape ", ir::shape_to_string(ws), "; only 2-d convolutions are supported"));
  }
  GRAMLITE_ASSIGN_OR_RETURN(Window w, read_window(im, node, im.shape(x), std::array<int64_t, 2>{ws[2], ws[3]}));
  GRAMLITE_ASSIGN_OR_RETURN(int64_t group, im.int_attr(node, "group", 1));
  if (group < 1 || group > std::numeric_limits<int32_t>::max()) return im.invalid_node(node, str_cat("group ", group, " is invalid"));
  ir::Conv2dAttrs attrs;
  attrs.kernel_h = w.kernel_h;
  attrs.kernel_w = w.kernel_w;
  attrs.stride_h = w.stride_h;
  attrs.stride_w = w.stride_w;
  attrs.dilation_h = w.dilation_h;
  attrs.dilation_w = w.dilation_w;
  attrs.padding = w.padding;
  attrs.groups = static_cast<int32_t>(group);
  x = fold_zero_pad(im, x, &attrs.padding);
  std::vector<TensorId> inputs = {x, weight};
  if (im.has_input(node, 2)) {
    GRAMLITE_ASSIGN_OR_RETURN(TensorId bias, im.weight_input(node, 2, "bias"));
    inputs.push_back(bias);
  }
  return emit_and_bind(im, node, OpKind::kConv2d, inputs, attrs);
}

Status convert_batch_norm(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  std::vector<TensorId> inputs = {x};
  const char* names[] = {"scale", "bias", "mean", "variance"};
  for (int i = 1; i <= 4; ++i) {
    GRAMLITE_ASSIGN_OR_RETURN(TensorId p, im.weight_input(node, i, names[i - 1]));
    inputs.push_back(p);
  }
  GRAMLITE_ASSIGN_OR_RETURN(float epsilon, im.float_attr(node, "epsilon", 1e-5f));
  GRAMLITE_ASSIGN_OR_RETURN(int64_t training, im.int_attr(node, "training_mode", 0));
  GRAMLITE_ASSIGN_OR_RETURN(int64_t spatial, im.int_attr(node, "spatial", 1));
  if (training != 0) return im.unsupported_node(node, "training_mode=1 (export in eval mode)");
  if (spatial != 1) return im.unsupported_node(node, "spatial=0 (per-element statistics)");
  if (!(epsilon >= 0.0f) || !std::isfinite(epsilon)) return im.invalid_node(node, "epsilon is invalid");
  GRAMLITE_RETURN_IF_ERROR(im.require_unused_outputs(node, 1));
  ir::BatchNormAttrs attrs;
  attrs.epsilon = epsilon;
  return emit_and_bind(im, node, OpKind::kBatchNorm, inputs, attrs);
}

// clip(x, lo, hi). Clip(0, 6) is ReLU6 and Clip(0, inf) ReLU; other bounds are composed from the
// IR's elementwise ops: relu(x - lo) + lo, or lo + s * relu6((x - lo) / s) with s = (hi - lo) / 6.
Status emit_clip(Importer& im, const onnx::NodeProto& node, TensorId x, float lo, float hi) {
  const float inf = std::numeric_limits<float>::infinity();
  if (std::isnan(lo) || std::isnan(hi) || lo > hi) return im.invalid_node(node, str_cat("invalid bounds [", lo, ", ", hi, "]"));
  if (lo == 0.0f && hi == 6.0f) return emit_and_bind(im, node, OpKind::kRelu6, {x});
  const bool no_upper = hi == inf || hi >= std::numeric_limits<float>::max();
  if (lo == 0.0f && no_upper) return emit_and_bind(im, node, OpKind::kRelu, {x});
  if (!std::isfinite(lo) || lo <= -std::numeric_limits<float>::max()) {
    return im.unsupported_node(node, str_cat("Clip without a lower bound (max ", hi, ") has no IR equivalent"));
  }
  if (lo == hi) return im.unsupported_node(node, "Clip to a single value has no IR equivalent");
  im.note(str_cat("node '", im.node_name(node), "': Clip(", lo, ", ", hi, ") composed from Add / Mul / ReLU(6)"));
  GRAMLITE_ASSIGN_OR_RETURN(TensorId shifted, emit(im, node, OpKind::kAdd, {x, scalar(im, node, "minus_lo", -lo)}, {}, "shift"));
  if (no_upper) {
    GRAMLITE_ASSIGN_OR_RETURN(TensorId r, emit(im, node, OpKind::kRelu, {shifted}, {}, "relu"));
    return emit_and_bind(im, node, OpKind::kAdd, {r, scalar(im, node, "lo", lo)});
  }
  const float s = (hi - lo) / 6.0f;
  GRAMLITE_ASSIGN_OR_RETURN(TensorId scaled, emit(im, node, OpKind::kMul, {shifted, scalar(im, node, "inv_s", 1.0f / s)}, {}, "scale"));
  GRAMLITE_ASSIGN_OR_RETURN(TensorId r, emit(im, node, OpKind::kRelu6, {scaled}, {}, "relu6"));
  GRAMLITE_ASSIGN_OR_RETURN(TensorId back, emit(im, node, OpKind::kMul, {r, scalar(im, node, "s", s)}, {}, "unscale"));
  return emit_and_bind(im, node, OpKind::kAdd, {back, scalar(im, node, "lo", lo)});
}

Status convert_clip(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  if (im.opset() < 11) {
    GRAMLITE_ASSIGN_OR_RETURN(lo, im.float_attr(node, "min", lo));
    GRAMLITE_ASSIGN_OR_RETURN(hi, im.float_attr(node, "max", hi));
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<float> min, scalar_input(im, node, 1, "min"));
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<float> max, scalar_input(im, node, 2, "max"));
    lo = min.value_or(lo);
    hi = max.value_or(hi);
  }
  return emit_clip(im, node, x, lo, hi);
}

// ONNX HardSigmoid is clip(alpha * x + beta, 0, 1); the IR's is PyTorch's relu6(y + 3) / 6, the
// same with alpha 1/6, beta 0.5 (what torch exports). Other parameters (Keras: 0.2, 0.5) feed the
// IR op y = 6 * alpha * x + 6 * beta - 3.
Status convert_hard_sigmoid(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  GRAMLITE_ASSIGN_OR_RETURN(float alpha, im.float_attr(node, "alpha", 0.2f));
  GRAMLITE_ASSIGN_OR_RETURN(float beta, im.float_attr(node, "beta", 0.5f));
  if (!std::isfinite(alpha) || !std::isfinite(beta)) return im.invalid_node(node, "alpha / beta are not finite");
  if (std::fabs(alpha - 1.0f / 6.0f) <= 1e-6f && std::fabs(beta - 0.5f) <= 1e-6f) {
    return emit_and_bind(im, node, OpKind::kHardSigmoid, {x});
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId scaled, emit(im, node, OpKind::kMul, {x, scalar(im, node, "scale", 6.0f * alpha)}, {}, "scale"));
  GRAMLITE_ASSIGN_OR_RETURN(TensorId shifted,
                            emit(im, node, OpKind::kAdd, {scaled, scalar(im, node, "shift", 6.0f * beta - 3.0f)}, {}, "shift"));
  return emit_and_bind(im, node, OpKind::kHardSigmoid, {shifted});
}

// ---- elementwise binary ------------------------------------------------------------------------

// MatMul (a Linear without bias) followed by Add of a [out] / [1, out] constant: the constant
// becomes the Linear's bias, as torch's and Keras' dense layers mean it.
bool fold_linear_bias(Importer& im, const onnx::NodeProto& node, TensorId x, const ConstantValue& c, const std::string& c_name) {
  ir::Node* linear = im.producer(x);
  if (linear == nullptr || linear->kind != OpKind::kLinear || linear->inputs.size() != 2 ||
      linear->fused_activation != ir::Activation::kNone || im.use_count(im.graph().tensor(x).name) != 1 ||
      c.is_integer) {
    return false;
  }
  const int64_t out = im.shape(linear->inputs[1])[0];
  const bool shape_ok = (c.shape.size() == 1 && c.shape[0] == out) || (c.shape.size() == 2 && c.shape[0] == 1 && c.shape[1] == out);
  if (!shape_ok) return false;
  linear->inputs.push_back(im.add_constant(fresh_name(im, c_name), {out}, c.floats));
  return im.bind_output(node, 0, x).ok();
}

Status convert_binary(Importer& im, const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  const ConstantValue* a_const = im.constant_input(node, 0);
  const ConstantValue* b_const = im.constant_input(node, 1);
  if (a_const != nullptr && b_const != nullptr) {
    return im.unsupported_node(node, "both operands are constants (arithmetic on constants is not folded; export "
                                     "with constant folding on)");
  }
  if (op == "Add") {
    for (int side = 0; side < 2; ++side) {
      const ConstantValue* c = side == 0 ? b_const : a_const;
      if (c == nullptr) continue;
      GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, side));
      if (fold_linear_bias(im, node, x, *c, node.input(1 - side))) return Status::Ok();
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId a, im.input(node, 0));
  if (op == "Add" || op == "Mul") {
    GRAMLITE_ASSIGN_OR_RETURN(TensorId b, im.input(node, 1));
    return emit_and_bind(im, node, op == "Add" ? OpKind::kAdd : OpKind::kMul, {a, b});
  }
  if (op == "Sub") {
    if (b_const != nullptr) {  // a - c = a + (-c)
      std::vector<float> negated = b_const->as_floats();
      for (float& v : negated) v = -v;
      const TensorId c = im.add_constant(fresh_name(im, node.input(1) + "/negated"), b_const->shape, negated);
      return emit_and_bind(im, node, OpKind::kAdd, {a, c});
    }
    GRAMLITE_ASSIGN_OR_RETURN(TensorId b, im.input(node, 1));
    GRAMLITE_ASSIGN_OR_RETURN(TensorId minus_b, emit(im, node, OpKind::kMul, {b, scalar(im, node, "minus_one", -1.0f)}, {}, "negate"));
    return emit_and_bind(im, node, OpKind::kAdd, {a, minus_b});
  }
  // Div
  if (b_const == nullptr) return im.unsupported_node(node, "division by a computed tensor (only division by a constant is supported)");
  std::vector<float> inverse = b_const->as_floats();
  for (float& v : inverse) {
    if (v == 0.0f) return im.invalid_node(node, "division by a constant that holds zero");
    v = 1.0f / v;
  }
  const TensorId c = im.add_constant(fresh_name(im, node.input(1) + "/reciprocal"), b_const->shape, inverse);
  return emit_and_bind(im, node, OpKind::kMul, {a, c});
}

// ---- pooling -----------------------------------------------------------------------------------

Status convert_pool(Importer& im, const onnx::NodeProto& node, OpKind kind) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  GRAMLITE_ASSIGN_OR_RETURN(Window w, read_window(im, node, im.shape(x), std::nullopt));
  if (w.dilation_h != 1 || w.dilation_w != 1) return im.unsupported_node(node, "dilated pooling");
  GRAMLITE_ASSIGN_OR_RETURN(int64_t ceil_mode, im.int_attr(node, "ceil_mode", 0));
  ir::Pool2dAttrs attrs;
  attrs.kernel_h = w.kernel_h;
  attrs.kernel_w = w.kernel_w;
  attrs.stride_h = w.stride_h;
  attrs.stride_w = w.stride_w;
  attrs.padding = w.padding;
  attrs.ceil_mode = ceil_mode != 0;
  if (kind == OpKind::kAvgPool) {
    GRAMLITE_ASSIGN_OR_RETURN(int64_t include, im.int_attr(node, "count_include_pad", 0));
    attrs.count_include_pad = include != 0;
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(int64_t order, im.int_attr(node, "storage_order", 0));
    if (order != 0) return im.unsupported_node(node, "storage_order=1");
    GRAMLITE_RETURN_IF_ERROR(im.require_unused_outputs(node, 1));
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId y, emit(im, node, kind, {x}, attrs));
  if (attrs.ceil_mode) {
    // ONNX (before opset 19) keeps a last window that starts in the end padding; PyTorch and the IR
    // drop it. Refuse the rare shapes where that differs rather than compute something else.
    const ir::Shape& in = im.shape(x);
    const ir::Shape& out = im.shape(y);
    const auto onnx_size = [](int64_t n, int64_t b, int64_t e, int64_t k, int64_t s) { return (n + b + e - k + s - 1) / s + 1; };
    if (onnx_size(in[2], w.padding.top, w.padding.bottom, w.kernel_h, w.stride_h) != out[2] ||
        onnx_size(in[3], w.padding.left, w.padding.right, w.kernel_w, w.stride_w) != out[3]) {
      return im.unsupported_node(node, "ceil_mode with a last window that starts in the padding");
    }
  }
  return im.bind_output(node, 0, y);
}

Status convert_global_max_pool(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  const ir::Shape& s = im.shape(x);
  if (s.size() != 4 || s[2] > kMaxWindow || s[3] > kMaxWindow) return im.unsupported_node(node, "only 4-d inputs are supported");
  ir::Pool2dAttrs attrs;  // one window over the whole plane
  attrs.kernel_h = static_cast<int32_t>(s[2]);
  attrs.kernel_w = static_cast<int32_t>(s[3]);
  return emit_and_bind(im, node, OpKind::kMaxPool, {x}, attrs);
}

// ReduceMean over H and W is global average pooling; without keepdims, a Flatten follows.
Status convert_reduce_mean(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes, im.ints_attr(node, "axes"));
  if (!axes && im.has_input(node, 1)) {  // opset 18: axes as an input
    GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* value, int_constant(im, node, 1, "axes"));
    axes = value->ints;
  }
  GRAMLITE_ASSIGN_OR_RETURN(int64_t keepdims, im.int_attr(node, "keepdims", 1));
  const ir::Shape& s = im.shape(x);
  std::vector<int> normalized;
  for (int64_t a : axes.value_or(std::vector<int64_t>{})) normalized.push_back(normalize_axis(a, s.size()));
  std::sort(normalized.begin(), normalized.end());
  if (s.size() != 4 || normalized != std::vector<int>{2, 3}) {
    return im.unsupported_node(node, "only ReduceMean over H and W (axes 2, 3) of a 4-d NCHW tensor is supported");
  }
  if (keepdims != 0) return emit_and_bind(im, node, OpKind::kGlobalAvgPool, {x});
  GRAMLITE_ASSIGN_OR_RETURN(TensorId pooled, emit(im, node, OpKind::kGlobalAvgPool, {x}, {}, "pool"));
  return emit_and_bind(im, node, OpKind::kFlatten, {pooled}, ir::FlattenAttrs{1});
}

// ---- shapes ------------------------------------------------------------------------------------

// ONNX Reshape semantics on a known shape (0 copies, one -1 inferred), for constants.
Result<ir::Shape> resolve_reshape(Importer& im, const onnx::NodeProto& node, const ir::Shape& in, std::vector<int64_t> target) {
  int64_t total = 1, known = 1;
  int infer = -1;
  for (int64_t d : in) total *= d;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && i < in.size()) target[i] = in[i];
    if (target[i] == -1 && infer < 0) {
      infer = static_cast<int>(i);
    } else if (target[i] < 0 || target[i] > ir::kMaxElementCount) {
      return im.invalid_node(node, "invalid target shape");
    } else {
      known *= target[i];
      if (known > ir::kMaxElementCount) return im.invalid_node(node, "target shape is too large");
    }
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return im.invalid_node(node, "cannot infer the -1 dim");
    target[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    return im.invalid_node(node, "target shape has a different element count");
  }
  return target;
}

// Binds output 0 to a constant with the same values and a new shape.
Status bind_reshaped_constant(Importer& im, const onnx::NodeProto& node, const ConstantValue& value, ir::Shape shape) {
  ConstantValue out = value;
  out.shape = std::move(shape);
  return im.bind_output_constant(node, 0, std::move(out));
}

// The batch dim that a model exported with a fixed batch spells out in a target shape is rewritten
// to 0 (copy dim 0), since the import made the batch dynamic.
void keep_dynamic_batch(Importer& im, const onnx::NodeProto& node, const ir::Shape& in, std::vector<int64_t>& target) {
  if (!target.empty() && !in.empty() && in[0] == ir::kDynamicDim && im.replaced_fixed_batch() > 0 &&
      target[0] == im.replaced_fixed_batch()) {
    target[0] = 0;
    im.note(str_cat("node '", im.node_name(node), "': target shape dim 0 (the fixed batch) now copies the dynamic batch"));
  }
}

Status convert_reshape(Importer& im, const onnx::NodeProto& node) {
  std::vector<int64_t> target;
  if (im.opset() < 5) {
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> attr, im.ints_attr(node, "shape"));
    if (!attr) return im.invalid_node(node, "attribute 'shape' is missing");
    target = *attr;
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* shape, int_constant(im, node, 1, "shape"));
    if (shape->shape.size() != 1) return im.invalid_node(node, "the shape input is not 1-d");
    target = shape->ints;
  }
  GRAMLITE_ASSIGN_OR_RETURN(int64_t allowzero, im.int_attr(node, "allowzero", 0));
  if (allowzero != 0 && std::find(target.begin(), target.end(), 0) != target.end()) {
    return im.unsupported_node(node, "allowzero=1 with a 0 in the target shape");
  }
  if (const ConstantValue* data = im.constant_input(node, 0)) {
    GRAMLITE_ASSIGN_OR_RETURN(ir::Shape shape, resolve_reshape(im, node, data->shape, target));
    return bind_reshaped_constant(im, node, *data, shape);
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  keep_dynamic_batch(im, node, im.shape(x), target);
  return emit_and_bind(im, node, OpKind::kReshape, {x}, ir::ReshapeAttrs{target});
}

Status convert_flatten(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(int64_t axis, im.int_attr(node, "axis", 1));
  if (const ConstantValue* data = im.constant_input(node, 0)) {
    const auto rank = static_cast<int64_t>(data->shape.size());
    if (axis < -rank || axis > rank) return im.invalid_node(node, "axis out of range");
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= data->shape[static_cast<size_t>(d)];
    return bind_reshaped_constant(im, node, *data, {outer, inner});
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  const auto rank = static_cast<int64_t>(im.shape(x).size());
  if (axis < -rank || axis > rank) return im.invalid_node(node, str_cat("axis ", axis, " is out of range for rank ", rank));
  if (axis < 0) axis += rank;
  return emit_and_bind(im, node, OpKind::kFlatten, {x}, ir::FlattenAttrs{static_cast<int32_t>(axis)});
}

// Squeeze / Unsqueeze become a Reshape (0 keeps a dynamic batch at dim 0).
Status convert_squeeze(Importer& im, const onnx::NodeProto& node, bool unsqueeze) {
  GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes, im.ints_attr(node, "axes"));
  if (!axes && im.opset() >= 13 && im.has_input(node, 1)) {
    GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* value, int_constant(im, node, 1, "axes"));
    axes = value->ints;
  }
  if (unsqueeze && !axes) return im.invalid_node(node, "axes are missing");
  const ConstantValue* data = im.constant_input(node, 0);
  TensorId x = ir::kNoTensor;
  if (data == nullptr) {
    GRAMLITE_ASSIGN_OR_RETURN(x, im.input(node, 0));
  }
  const ir::Shape in = data != nullptr ? data->shape : im.shape(x);
  ir::Shape out;
  if (unsqueeze) {
    const size_t rank = in.size() + axes->size();
    std::vector<bool> inserted(rank, false);
    for (int64_t a : *axes) {
      const int n = normalize_axis(a, rank);
      if (n < 0 || inserted[static_cast<size_t>(n)]) return im.invalid_node(node, str_cat("axis ", a, " is invalid"));
      inserted[static_cast<size_t>(n)] = true;
    }
    size_t next = 0;
    for (size_t d = 0; d < rank; ++d) out.push_back(inserted[d] ? 1 : in[next++]);
  } else {
    std::vector<bool> removed(in.size(), false);
    if (axes) {
      for (int64_t a : *axes) {
        const int n = normalize_axis(a, in.size());
        if (n < 0 || in[static_cast<size_t>(n)] != 1) return im.invalid_node(node, str_cat("axis ", a, " is not a dim of size 1"));
        removed[static_cast<size_t>(n)] = true;
      }
    } else {
      for (size_t d = 0; d < in.size(); ++d) removed[d] = in[d] == 1;
    }
    for (size_t d = 0; d < in.size(); ++d) {
      if (!removed[d]) out.push_back(in[d]);
    }
  }
  if (data != nullptr) return bind_reshaped_constant(im, node, *data, out);
  if (in.empty() || in[0] != ir::kDynamicDim) return emit_and_bind(im, node, OpKind::kReshape, {x}, ir::ReshapeAttrs{out});
  if (out.empty() || out[0] != ir::kDynamicDim) return im.unsupported_node(node, "moves or removes the dynamic batch dim");
  out[0] = 0;
  return emit_and_bind(im, node, OpKind::kReshape, {x}, ir::ReshapeAttrs{out});
}

// Transpose appears in classifiers exported from NHWC frameworks as the first op: NHWC input ->
// NCHW. The IR graph then takes NCHW input directly (gramlite feeds images as NCHW) and the
// transpose disappears. Any other transpose has no IR equivalent.
Status convert_transpose(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> perm, im.ints_attr(node, "perm"));
  const TensorId input = im.sole_graph_input(node, 0);
  if (perm && *perm == std::vector<int64_t>{0, 3, 1, 2} && input != ir::kNoTensor && im.shape(input).size() == 4) {
    ir::Shape& s = im.graph().tensor(input).shape;
    s = {s[0], s[3], s[1], s[2]};
    im.graph().metadata.extra["source_input_layout"] = "NHWC (the imported graph takes NCHW input)";
    im.note(str_cat("the NHWC input '", im.graph().tensor(input).name, "' became NCHW (its Transpose was dropped)"));
    return im.bind_output(node, 0, input);
  }
  return im.unsupported_node(node, "only a Transpose with perm [0, 3, 1, 2] applied directly to the graph input "
                                   "(NHWC -> NCHW) is supported");
}

// ---- dense layers ------------------------------------------------------------------------------

// A [rows, cols] float constant transposed to [cols, rows] (row-major).
std::vector<float> transposed(const std::vector<float>& values, int64_t rows, int64_t cols) {
  std::vector<float> out(values.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(c * rows + r)] = values[static_cast<size_t>(r * cols + c)];
  }
  return out;
}

Result<const ConstantValue*> float_matrix(Importer& im, const onnx::NodeProto& node, int i) {
  const ConstantValue* b = im.constant_input(node, i);
  if (b == nullptr) {
    if (!im.has_input(node, i)) return im.invalid_node(node, str_cat("input ", i, " is missing"));
    return im.unsupported_node(node, str_cat("the weight '", node.input(i), "' is computed by the graph; only constant weights are supported"));
  }
  if (b->is_integer || b->shape.size() != 2 || b->size() == 0) {
    return im.unsupported_node(node, str_cat("the weight '", node.input(i), "' has shape ", ir::shape_to_string(b->shape),
                                             "; a 2-d float matrix is expected"));
  }
  return b;
}

Status convert_gemm(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId a, im.input(node, 0));
  if (im.graph().tensor(a).is_constant()) return im.unsupported_node(node, "A is a constant");
  GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* b, float_matrix(im, node, 1));
  GRAMLITE_ASSIGN_OR_RETURN(float alpha, im.float_attr(node, "alpha", 1.0f));
  GRAMLITE_ASSIGN_OR_RETURN(float beta, im.float_attr(node, "beta", 1.0f));
  GRAMLITE_ASSIGN_OR_RETURN(int64_t trans_a, im.int_attr(node, "transA", 0));
  GRAMLITE_ASSIGN_OR_RETURN(int64_t trans_b, im.int_attr(node, "transB", 0));
  if (trans_a != 0) return im.unsupported_node(node, "transA=1");
  if (im.shape(a).size() != 2) return im.invalid_node(node, str_cat("A has shape ", ir::shape_to_string(im.shape(a)), ", expected 2-d"));
  // The IR Linear weight is [out, in], as Gemm's B with transB=1 (torch's nn.Linear export).
  const int64_t out = trans_b != 0 ? b->shape[0] : b->shape[1];
  const int64_t in = trans_b != 0 ? b->shape[1] : b->shape[0];
  TensorId weight;
  if (trans_b != 0 && alpha == 1.0f) {
    GRAMLITE_ASSIGN_OR_RETURN(weight, im.input(node, 1));
  } else {
    std::vector<float> w = trans_b != 0 ? b->floats : transposed(b->floats, in, out);
    for (float& v : w) v *= alpha;
    weight = im.add_constant(fresh_name(im, node.input(1)), {out, in}, w);
  }
  std::vector<TensorId> inputs = {a, weight};
  if (im.has_input(node, 2) && beta != 0.0f) {
    const ConstantValue* c = im.constant_input(node, 2);
    if (c == nullptr) return im.unsupported_node(node, "the bias C is computed by the graph; only a constant bias is supported");
    std::vector<float> bias = c->as_floats();
    if (c->size() == 1) {
      bias.assign(static_cast<size_t>(out), bias[0]);
    } else if (c->size() != out || c->shape.empty() || c->shape.back() != out) {
      return im.unsupported_node(node, str_cat("bias C has shape ", ir::shape_to_string(c->shape), "; [", out, "] or [1, ", out,
                                               "] is supported"));
    }
    if (beta == 1.0f && c->size() == out && c->shape.size() == 1 && !c->is_integer) {
      GRAMLITE_ASSIGN_OR_RETURN(TensorId bias_id, im.input(node, 2));
      inputs.push_back(bias_id);
    } else {
      for (float& v : bias) v *= beta;
      inputs.push_back(im.add_constant(fresh_name(im, node.input(2)), {out}, bias));
    }
  }
  return emit_and_bind(im, node, OpKind::kLinear, inputs);
}

Status convert_matmul(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId a, im.input(node, 0));
  if (im.graph().tensor(a).is_constant()) return im.unsupported_node(node, "A is a constant (only x @ W with a constant W is supported)");
  GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* b, float_matrix(im, node, 1));
  const int64_t in = b->shape[0];
  const int64_t out = b->shape[1];
  const TensorId weight = im.add_constant(fresh_name(im, node.input(1)), {out, in}, transposed(b->floats, in, out));
  return emit_and_bind(im, node, OpKind::kLinear, {a, weight});
}

// ---- the rest ----------------------------------------------------------------------------------

Status convert_softmax(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  const ir::Shape& s = im.shape(x);
  GRAMLITE_ASSIGN_OR_RETURN(int64_t axis, im.int_attr(node, "axis", im.opset() < 13 ? 1 : -1));
  const int n = normalize_axis(axis, s.size());
  if (n < 0) return im.invalid_node(node, str_cat("axis ", axis, " is out of range for rank ", s.size()));
  if (im.opset() < 13) {
    // Before opset 13 softmax runs over all dims from `axis` on, flattened: the same as one axis
    // only when the dims after it are 1.
    for (size_t d = static_cast<size_t>(n) + 1; d < s.size(); ++d) {
      if (s[d] != 1) return im.unsupported_node(node, "softmax over several flattened dims (opset < 13 semantics)");
    }
  }
  return emit_and_bind(im, node, OpKind::kSoftmax, {x}, ir::SoftmaxAttrs{static_cast<int32_t>(n)});
}

Status convert_identity(Importer& im, const onnx::NodeProto& node) {
  if (const ConstantValue* c = im.constant_input(node, 0)) return im.bind_output_constant(node, 0, *c);
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  return im.bind_output(node, 0, x);
}

// Dropout stays in the graph (an identity at inference) so that fine-tuning trains with it.
Status convert_dropout(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_RETURN_IF_ERROR(im.require_unused_outputs(node, 1));
  float ratio = 0.5f;
  if (im.opset() < 12) {
    GRAMLITE_ASSIGN_OR_RETURN(ratio, im.float_attr(node, "ratio", 0.5f));
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<float> r, scalar_input(im, node, 1, "ratio"));
    ratio = r.value_or(0.5f);
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<float> training, scalar_input(im, node, 2, "training_mode"));
    if (training.value_or(0.0f) != 0.0f) return im.unsupported_node(node, "training_mode=true (export in eval mode)");
  }
  if (!(ratio >= 0.0f && ratio < 1.0f)) return im.invalid_node(node, str_cat("ratio ", ratio, " is outside [0, 1)"));
  if (im.constant_input(node, 0) != nullptr) return convert_identity(im, node);
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  ir::DropoutAttrs attrs;
  attrs.ratio = ratio;
  return emit_and_bind(im, node, OpKind::kDropout, {x}, attrs);
}

Status convert_cast(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(int64_t to, im.int_attr(node, "to", 0));
  const bool to_float = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::FLOAT16 || to == onnx::TensorProto::DOUBLE;
  const bool to_int = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
  if (const ConstantValue* c = im.constant_input(node, 0)) {
    if (!to_float && !to_int) return im.unsupported_node(node, str_cat("cast to ", onnx_type_name(static_cast<int32_t>(to))));
    ConstantValue out;
    out.shape = c->shape;
    out.source_type = c->source_type;
    out.is_integer = to_int;
    if (to_float) {
      out.floats = c->as_floats();
    } else if (c->is_integer) {
      out.ints = c->ints;
    } else {
      for (float v : c->floats) {
        if (!std::isfinite(v) || std::fabs(v) > 9.2e18f) return im.invalid_node(node, "value out of the integer range");
        out.ints.push_back(static_cast<int64_t>(v));
      }
    }
    return im.bind_output_constant(node, 0, std::move(out));
  }
  if (to != onnx::TensorProto::FLOAT) {
    return im.unsupported_node(node, str_cat("cast of a computed tensor to ", onnx_type_name(static_cast<int32_t>(to)),
                                             " (activations are float32)"));
  }
  return convert_identity(im, node);
}

Status convert_constant(Importer& im, const onnx::NodeProto& node) {
  if (node.attribute_size() != 1) return im.invalid_node(node, "expected exactly one value attribute");
  const onnx::AttributeProto& attr = node.attribute(0);
  ConstantValue value;
  if (attr.name() == "value" && attr.type() == onnx::AttributeProto::TENSOR) {
    Result<ConstantValue> decoded = decode_tensor(attr.t());
    if (!decoded.ok()) return im.invalid_node(node, decoded.status().message());
    value = std::move(decoded).value();
  } else if (attr.name() == "value_float" && attr.type() == onnx::AttributeProto::FLOAT) {
    value.floats = {attr.f()};
  } else if (attr.name() == "value_floats" && attr.type() == onnx::AttributeProto::FLOATS) {
    value.floats.assign(attr.floats().begin(), attr.floats().end());
    value.shape = {static_cast<int64_t>(value.floats.size())};
  } else if (attr.name() == "value_int" && attr.type() == onnx::AttributeProto::INT) {
    value.is_integer = true;
    value.ints = {attr.i()};
  } else if (attr.name() == "value_ints" && attr.type() == onnx::AttributeProto::INTS) {
    value.is_integer = true;
    value.ints.assign(attr.ints().begin(), attr.ints().end());
    value.shape = {static_cast<int64_t>(value.ints.size())};
  } else {
    return im.unsupported_node(node, str_cat("constant attribute '", attr.name(), "' of this type"));
  }
  return im.bind_output_constant(node, 0, std::move(value));
}

Status convert_concat(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(int64_t axis, im.int_attr(node, "axis", 1));
  if (node.input_size() < 1) return im.invalid_node(node, "has no inputs");
  bool all_int_vectors = true;
  for (int i = 0; i < node.input_size(); ++i) {
    const ConstantValue* c = im.constant_input(node, i);
    all_int_vectors = all_int_vectors && c != nullptr && c->is_integer && c->shape.size() == 1;
  }
  if (all_int_vectors) {  // shape pieces, concatenated at import time
    ConstantValue out;
    out.is_integer = true;
    for (int i = 0; i < node.input_size(); ++i) {
      const auto& ints = im.constant_input(node, i)->ints;
      out.ints.insert(out.ints.end(), ints.begin(), ints.end());
    }
    out.shape = {static_cast<int64_t>(out.ints.size())};
    return im.bind_output_constant(node, 0, std::move(out));
  }
  std::vector<TensorId> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, i));
    inputs.push_back(x);
  }
  if (axis < std::numeric_limits<int32_t>::min() || axis > std::numeric_limits<int32_t>::max()) return im.invalid_node(node, "axis out of range");
  return emit_and_bind(im, node, OpKind::kConcat, inputs, ir::ConcatAttrs{static_cast<int32_t>(axis)});
}

Status convert_pad(Importer& im, const onnx::NodeProto& node) {
  GRAMLITE_ASSIGN_OR_RETURN(std::string mode, im.string_attr(node, "mode", "constant"));
  if (mode != "constant") return im.unsupported_node(node, str_cat("mode '", mode, "' (only constant padding is supported)"));
  std::vector<int64_t> pads;
  float value = 0.0f;
  if (im.opset() < 11) {
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> attr, im.ints_attr(node, "pads"));
    if (!attr) return im.invalid_node(node, "attribute 'pads' is missing");
    pads = *attr;
    GRAMLITE_ASSIGN_OR_RETURN(value, im.float_attr(node, "value", 0.0f));
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(const ConstantValue* p, int_constant(im, node, 1, "pads"));
    pads = p->ints;
    GRAMLITE_ASSIGN_OR_RETURN(std::optional<float> v, scalar_input(im, node, 2, "constant_value"));
    value = v.value_or(0.0f);
    if (im.has_input(node, 3)) return im.unsupported_node(node, "the axes input");
  }
  for (int64_t p : pads) {
    if (p < 0) return im.unsupported_node(node, "negative pads (cropping)");
  }
  GRAMLITE_ASSIGN_OR_RETURN(TensorId x, im.input(node, 0));
  if (im.graph().tensor(x).is_constant()) return im.unsupported_node(node, "padding a constant");
  ir::PadAttrs attrs;
  attrs.pads = pads;
  attrs.value = value;
  return emit_and_bind(im, node, OpKind::kPad, {x}, attrs);
}

using Converter = Status (*)(Importer&, const onnx::NodeProto&);

const std::unordered_map<std::string, Converter>& converters() {
  static const auto* table = new std::unordered_map<std::string, Converter>{
      {"Conv", convert_conv},
      {"BatchNormalization", convert_batch_norm},
      {"Relu", [](Importer& im, const onnx::NodeProto& n) { return unary(im, n, OpKind::kRelu); }},
      {"Sigmoid", [](Importer& im, const onnx::NodeProto& n) { return unary(im, n, OpKind::kSigmoid); }},
      {"HardSwish", [](Importer& im, const onnx::NodeProto& n) { return unary(im, n, OpKind::kHardSwish); }},
      {"HardSigmoid", convert_hard_sigmoid},
      {"Clip", convert_clip},
      {"Add", convert_binary},
      {"Sub", convert_binary},
      {"Mul", convert_binary},
      {"Div", convert_binary},
      {"GlobalAveragePool", [](Importer& im, const onnx::NodeProto& n) { return unary(im, n, OpKind::kGlobalAvgPool); }},
      {"GlobalMaxPool", convert_global_max_pool},
      {"AveragePool", [](Importer& im, const onnx::NodeProto& n) { return convert_pool(im, n, OpKind::kAvgPool); }},
      {"MaxPool", [](Importer& im, const onnx::NodeProto& n) { return convert_pool(im, n, OpKind::kMaxPool); }},
      {"ReduceMean", convert_reduce_mean},
      {"Flatten", convert_flatten},
      {"Reshape", convert_reshape},
      {"Squeeze", [](Importer& im, const onnx::NodeProto& n) { return convert_squeeze(im, n, false); }},
      {"Unsqueeze", [](Importer& im, const onnx::NodeProto& n) { return convert_squeeze(im, n, true); }},
      {"Transpose", convert_transpose},
      {"Gemm", convert_gemm},
      {"MatMul", convert_matmul},
      {"Softmax", convert_softmax},
      {"Dropout", convert_dropout},
      {"Identity", convert_identity},
      {"Cast", convert_cast},
      {"Constant", convert_constant},
      {"Concat", convert_concat},
      {"Pad", convert_pad},
  };
  return *table;
}

}  // namespace

Status convert_op(Importer& importer, const onnx::NodeProto& node) {
  const auto& table = converters();
  const auto it = table.find(node.op_type());
  if (it == table.end()) {
    return importer.unsupported_node(node, str_cat("op type '", node.op_type(), "' is not supported by the ONNX importer ",
                                                   "(docs/onnx-import.md lists the supported ops)"));
  }
  return it->second(importer, node);
}

}  // namespace gramlite::interop::onnx_detail
