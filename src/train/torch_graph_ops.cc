// One IR node on torch tensors. Semantics follow src/ir (attributes.h, op_kind.h) and the reference
// runtime (src/runtime/reference), which is the oracle for these mappings.
#include <limits>
#include <stdexcept>

#include "train/torch_graph_internal.h"

namespace gramlite::train::internal {
namespace {

using ir::OpKind;

at::Tensor apply_activation(const at::Tensor& x, ir::Activation activation) {
  switch (activation) {
    case ir::Activation::kNone: return x;
    case ir::Activation::kRelu: return at::relu(x);
    case ir::Activation::kRelu6: return at::hardtanh(x, 0.0, 6.0);
    case ir::Activation::kHardSwish: return at::hardswish(x);
    case ir::Activation::kHardSigmoid: return at::hardsigmoid(x);
    case ir::Activation::kSigmoid: return at::sigmoid(x);
    case ir::Activation::kCount: break;
  }
  throw std::runtime_error("unknown fused activation");
}

bool symmetric(const ir::Padding2d& p) { return p.top == p.bottom && p.left == p.right; }

// Explicit (possibly asymmetric) spatial padding of an NCHW tensor.
at::Tensor pad_spatial(const at::Tensor& x, const ir::Padding2d& p, double value) {
  if (p.top == 0 && p.left == 0 && p.bottom == 0 && p.right == 0) return x;
  return at::constant_pad_nd(x, {p.left, p.right, p.top, p.bottom}, value);
}

// The reference runtime's pooled length (pool2d.h): floor or ceil, and with ceil_mode a last window
// starting at or past size + pad_begin is dropped.
int64_t pooled_length(int64_t size, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end, bool ceil_mode) {
  const int64_t span = size + pad_begin + pad_end - kernel;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad_begin) --out;
  return out;
}

at::Tensor conv2d(const ir::Node& node, const std::vector<at::Tensor>& in) {
  const auto& a = node.attr<ir::Conv2dAttrs>();
  const at::Tensor bias = in.size() > 2 ? in[2] : at::Tensor();
  at::Tensor x = in[0];
  std::vector<int64_t> padding{a.padding.top, a.padding.left};
  if (!symmetric(a.padding)) {
    x = pad_spatial(x, a.padding, 0.0);
    padding = {0, 0};
  }
  return at::conv2d(x, in[1], bias, {a.stride_h, a.stride_w}, padding, {a.dilation_h, a.dilation_w}, a.groups);
}

at::Tensor max_pool(const ir::Node& node, const at::Tensor& x) {
  const auto& a = node.attr<ir::Pool2dAttrs>();
  if (symmetric(a.padding) && 2 * a.padding.top <= a.kernel_h && 2 * a.padding.left <= a.kernel_w) {
    return at::max_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.padding.top, a.padding.left},
                          {1, 1}, a.ceil_mode);
  }
  // Asymmetric: pad with -inf (padding never wins), pool without padding, then keep the reference's
  // output size (torch's ceil rule sees the padding as input and may add one more window).
  const at::Tensor padded = pad_spatial(x, a.padding, -std::numeric_limits<double>::infinity());
  const at::Tensor y = at::max_pool2d(padded, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, {1, 1},
                                      a.ceil_mode);
  const int64_t oh = pooled_length(x.size(2), a.kernel_h, a.stride_h, a.padding.top, a.padding.bottom, a.ceil_mode);
  const int64_t ow = pooled_length(x.size(3), a.kernel_w, a.stride_w, a.padding.left, a.padding.right, a.ceil_mode);
  return y.narrow(2, 0, oh).narrow(3, 0, ow);
}

at::Tensor avg_pool(const ir::Node& node, const at::Tensor& x) {
  const auto& a = node.attr<ir::Pool2dAttrs>();
  if (symmetric(a.padding) && 2 * a.padding.top <= a.kernel_h && 2 * a.padding.left <= a.kernel_w) {
    // torch's window clipping and divisor are exactly the reference's for symmetric padding.
    return at::avg_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.padding.top, a.padding.left},
                          a.ceil_mode, a.count_include_pad);
  }
  // General case: window sums over the zero-padded input divided by a divisor computed the same way
  // from a mask: ones on the input (count_include_pad false) or on input and padding (true).
  const auto sum_pool = [&](const at::Tensor& t) {
    return at::avg_pool2d(t, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, a.ceil_mode,
                          /*count_include_pad=*/true, /*divisor_override=*/1);
  };
  const at::Tensor sums = sum_pool(pad_spatial(x, a.padding, 0.0));
  const at::Tensor ones = at::ones({1, 1, x.size(2), x.size(3)}, x.options().requires_grad(false));
  const at::Tensor mask = pad_spatial(ones, a.padding, a.count_include_pad ? 1.0 : 0.0);
  const at::Tensor divisor = sum_pool(mask);
  const at::Tensor valid = sum_pool(pad_spatial(ones, a.padding, 0.0)) > 0;
  const at::Tensor y = at::where(valid, sums / at::clamp_min(divisor, 1.0), at::zeros_like(sums));
  const int64_t oh = pooled_length(x.size(2), a.kernel_h, a.stride_h, a.padding.top, a.padding.bottom, a.ceil_mode);
  const int64_t ow = pooled_length(x.size(3), a.kernel_w, a.stride_w, a.padding.left, a.padding.right, a.ceil_mode);
  return y.narrow(2, 0, oh).narrow(3, 0, ow);
}

at::Tensor flatten(const ir::Node& node, const at::Tensor& x) {
  const int64_t rank = x.dim();
  int64_t axis = node.attr<ir::FlattenAttrs>().axis;
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  int64_t inner = 1;
  for (int64_t d = axis; d < rank; ++d) inner *= x.size(d);
  return x.reshape({outer, inner});
}

at::Tensor reshape(const ir::Node& node, const at::Tensor& x) {
  std::vector<int64_t> shape = node.attr<ir::ReshapeAttrs>().shape;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) shape[d] = x.size(static_cast<int64_t>(d));
  }
  return x.reshape(shape);
}

at::Tensor pad(const ir::Node& node, const at::Tensor& x) {
  const auto& a = node.attr<ir::PadAttrs>();
  const int64_t rank = x.dim();
  std::vector<int64_t> torch_pads;  // last dim first: (begin, end) pairs
  for (int64_t d = rank - 1; d >= 0; --d) {
    torch_pads.push_back(a.pads[static_cast<size_t>(d)]);
    torch_pads.push_back(a.pads[static_cast<size_t>(d + rank)]);
  }
  return at::constant_pad_nd(x, torch_pads, a.value);
}

at::Tensor dropout(const ir::Node& node, const at::Tensor& x, bool training, at::Generator& generator) {
  const double p = node.attr<ir::DropoutAttrs>().ratio;
  if (!training || p <= 0.0) return x;
  if (p >= 1.0) return x * 0.0;
  // Our own generator instead of at::dropout's global one: same seed, same masks.
  const at::Tensor keep = at::empty_like(x, x.options().requires_grad(false)).bernoulli_(1.0 - p, generator);
  return x * keep / (1.0 - p);
}

}  // namespace

std::vector<at::Tensor> run_node(const ir::Node& node, const std::vector<at::Tensor>& in, bool training,
                                 at::Generator& generator) {
  at::Tensor y;
  switch (node.kind) {
    case OpKind::kConv2d: y = conv2d(node, in); break;
    case OpKind::kBatchNorm:
      y = at::batch_norm(in[0], in[1], in[2], in[3], in[4], training, /*momentum=*/0.1,
                         node.attr<ir::BatchNormAttrs>().epsilon, /*cudnn_enabled=*/false);
      break;
    case OpKind::kRelu: y = at::relu(in[0]); break;
    case OpKind::kRelu6: y = at::hardtanh(in[0], 0.0, 6.0); break;
    case OpKind::kHardSwish: y = at::hardswish(in[0]); break;
    case OpKind::kHardSigmoid: y = at::hardsigmoid(in[0]); break;
    case OpKind::kSigmoid: y = at::sigmoid(in[0]); break;
    case OpKind::kAdd: y = at::add(in[0], in[1]); break;
    case OpKind::kMul: y = at::mul(in[0], in[1]); break;
    case OpKind::kConcat: y = at::cat(in, node.attr<ir::ConcatAttrs>().axis); break;
    case OpKind::kMaxPool: y = max_pool(node, in[0]); break;
    case OpKind::kAvgPool: y = avg_pool(node, in[0]); break;
    case OpKind::kGlobalAvgPool: y = at::mean(in[0], {2, 3}, /*keepdim=*/true); break;
    case OpKind::kFlatten: y = flatten(node, in[0]); break;
    case OpKind::kReshape: y = reshape(node, in[0]); break;
    case OpKind::kLinear: y = at::linear(in[0], in[1], in.size() > 2 ? in[2] : at::Tensor()); break;
    case OpKind::kDropout: y = dropout(node, in[0], training, generator); break;
    case OpKind::kSoftmax: y = at::softmax(in[0], node.attr<ir::SoftmaxAttrs>().axis); break;
    case OpKind::kPad: y = pad(node, in[0]); break;
    case OpKind::kQuantize:
    case OpKind::kDequantize:
      throw std::runtime_error("node '" + node.name + "' (" + ir::op_kind_name(node.kind) +
                               "): an int8 graph cannot be trained; train the float model, then quantize it "
                               "(gramlite quantize, or --qat for quantization-aware training)");
    case OpKind::kCount: throw std::runtime_error("invalid op kind");
  }
  return {apply_activation(y, node.fused_activation)};
}

}  // namespace gramlite::train::internal
