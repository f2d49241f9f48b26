#include "runtime/xnnpack/conv2d.h"
#include "runtime/xnnpack/ops.h"

#include <cstring>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/xnnpack/conv_geometry.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

namespace ref8 = reference::int8;

// The kernel for either dtype: one convolution operator over NHWC images.
class ConvKernel final : public XnnKernel {
 public:
  ConvKernel(std::string name, bool int8, bool flat) : XnnKernel(std::move(name)), int8_(int8), flat_(flat) {}
  void set_operator(xnn_operator_t op) { operators_.emplace_back(op); }

 protected:
  Status plan(const KernelContext& context) override {
    const ir::Shape& x = context.inputs[0].shape;
    batch_ = static_cast<size_t>(x[0]);
    height_ = flat_ ? 1 : static_cast<size_t>(x[2]);
    width_ = flat_ ? 1 : static_cast<size_t>(x[3]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const override {
    if (int8_) {
      return xnn_setup_convolution2d_nhwc_qc8(operators_[0].get(), batch_, height_, width_,
                                              static_cast<const int8_t*>(io.inputs[0]),
                                              static_cast<int8_t*>(io.outputs[0]), threadpool);
    }
    return xnn_setup_convolution2d_nhwc_f32(operators_[0].get(), batch_, height_, width_,
                                            static_cast<const float*>(io.inputs[0]), static_cast<float*>(io.outputs[0]),
                                            threadpool);
  }

 private:
  bool int8_;
  bool flat_;  // Linear: [N, in] as N images of 1 x 1 pixel
  size_t batch_ = 0, height_ = 0, width_ = 0;
};

Status check_nchw_input(const KernelContext& context) {
  if (context.inputs[0].shape.size() != 4) return unsupported("xnnpack: conv input is not 4-D");
  return Status::Ok();
}

Result<std::unique_ptr<Kernel>> make_f32_conv(const KernelContext& context, const ConvGeometry& g, const float* weight,
                                              const float* bias, ir::Activation activation, const char* name) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_ASSIGN_OR_RETURN(auto bounds, float_activation_bounds(activation));
  std::vector<float> packed;
  if (g.group_in != 1 || g.group_out != 1) {
    packed = weights_ohwi(weight, g);
    weight = packed.data();
  }
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_convolution2d_nhwc_f32(g.pad_top, g.pad_right, g.pad_bottom, g.pad_left, g.kernel_h, g.kernel_w,
                                        g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, g.groups, g.group_in,
                                        g.group_out, g.groups * g.group_in, g.groups * g.group_out, weight, bias,
                                        bounds.first, bounds.second, 0, &op),
      "convolution2d_nhwc_f32"));
  auto kernel = std::make_unique<ConvKernel>(name, false, false);
  kernel->set_operator(op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

Result<std::unique_ptr<Kernel>> make_s8_conv(const KernelContext& context, const ConvGeometry& g,
                                             const ir::AffineQuant& x, const ir::AffineQuant& y,
                                             const std::vector<float>& weight_scales, const int8_t* weight,
                                             const int32_t* bias, ir::Int8Clamp clamp, bool flat, const char* name) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  if (x.zero_point < -128 || x.zero_point > 127 || y.zero_point < -128 || y.zero_point > 127) {
    return unsupported("xnnpack: zero point outside int8");
  }
  std::vector<int8_t> packed;
  if (g.group_in != 1 || g.group_out != 1) {
    packed = weights_ohwi(weight, g);
    weight = packed.data();
  }
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_convolution2d_nhwc_qc8(
          g.pad_top, g.pad_right, g.pad_bottom, g.pad_left, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w,
          g.dilation_h, g.dilation_w, g.groups, g.group_in, g.group_out, g.groups * g.group_in,
          g.groups * g.group_out, static_cast<int8_t>(x.zero_point), x.scale, weight_scales.data(), weight, bias,
          static_cast<int8_t>(y.zero_point), y.scale, static_cast<int8_t>(clamp.min), static_cast<int8_t>(clamp.max), 0,
          &op),
      "convolution2d_nhwc_qc8"));
  auto kernel = std::make_unique<ConvKernel>(name, true, flat);
  kernel->set_operator(op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

// Pool attributes as a depthwise convolution, when XNNPACK's window arithmetic gives the IR's
// output size (no ceil-mode windows hanging past the padding) and padding counts as zeros.
Result<ConvGeometry> avg_pool_geometry(const KernelContext& context) {
  const auto& a = context.node.attr<ir::Pool2dAttrs>();
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& y = context.outputs[0].shape;
  if (x.size() != 4 || y.size() != 4) return unsupported("xnnpack: pool input is not 4-D");
  const bool padded = a.padding.top != 0 || a.padding.left != 0 || a.padding.bottom != 0 || a.padding.right != 0;
  if (padded && !a.count_include_pad) return unsupported("xnnpack: AvgPool excluding padding from the count");
  const int64_t out_h = (x[2] + a.padding.top + a.padding.bottom - a.kernel_h) / a.stride_h + 1;
  const int64_t out_w = (x[3] + a.padding.left + a.padding.right - a.kernel_w) / a.stride_w + 1;
  if (out_h != y[2] || out_w != y[3]) return unsupported("xnnpack: AvgPool windows past the padding (ceil mode)");
  ir::Conv2dAttrs conv;
  conv.kernel_h = a.kernel_h;
  conv.kernel_w = a.kernel_w;
  conv.stride_h = a.stride_h;
  conv.stride_w = a.stride_w;
  conv.padding = a.padding;
  conv.groups = static_cast<int32_t>(x[1]);
  return conv_geometry(conv, x[1], x[1]);
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(check_nchw_input(context));
  const float* weight = constant_floats(context, 1);
  if (weight == nullptr) return unsupported("xnnpack: Conv2d weight is not a float32 constant");
  const float* bias = constant_floats(context, 2);
  if (has_input(context.node, 2) && bias == nullptr) return unsupported("xnnpack: Conv2d bias is not a constant");
  const ir::Shape& w = context.inputs[1].shape;
  const auto& attrs = context.node.attr<ir::Conv2dAttrs>();
  const ConvGeometry g = conv_geometry(attrs, context.inputs[0].shape[1], w[0]);
  if (context.fp16_arithmetic) {
    auto f16 = create_conv2d_f16_arithmetic(context, weight, bias);
    if (f16.ok()) return f16;  // else (no fp16 arithmetic here) the node runs in float32
  }
  const bool depthwise = g.group_in == 1 && g.group_out == 1 && g.groups > 1;
  return make_f32_conv(context, g, weight, bias, context.node.fused_activation,
                       depthwise ? "conv2d_f32_xnnpack_depthwise" : "conv2d_f32_xnnpack");
}

Result<std::unique_ptr<Kernel>> create_conv2d_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(check_nchw_input(context));
  const TensorDesc& w = context.inputs[1];
  if (w.dtype != ir::DType::kInt8 || !w.is_constant()) return unsupported("xnnpack: Conv2d weight is not an int8 constant");
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::WeightLayerQuant q, ref8::plan_weight_layer_quant(context, w.shape[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<float> scales, ref8::weight_scales(w, w.shape[0]));
  const int32_t* bias = q.has_bias ? context.inputs[2].tensor->data.as<int32_t>() : nullptr;
  const ConvGeometry g = conv_geometry(context.node.attr<ir::Conv2dAttrs>(), context.inputs[0].shape[1], w.shape[0]);
  const bool depthwise = g.group_in == 1 && g.group_out == 1 && g.groups > 1;
  return make_s8_conv(context, g, q.x, q.y, scales, w.tensor->data.as<int8_t>(), bias, q.clamp, false,
                      depthwise ? "conv2d_s8_xnnpack_depthwise" : "conv2d_s8_xnnpack");
}

Result<std::unique_ptr<Kernel>> create_linear_s8(const KernelContext& context) {
  const TensorDesc& w = context.inputs[1];
  if (context.inputs[0].shape.size() != 2) return unsupported("xnnpack: Linear input is not 2-D");
  if (w.dtype != ir::DType::kInt8 || !w.is_constant()) return unsupported("xnnpack: Linear weight is not an int8 constant");
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::WeightLayerQuant q, ref8::plan_weight_layer_quant(context, w.shape[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<float> scales, ref8::weight_scales(w, w.shape[0]));
  const int32_t* bias = q.has_bias ? context.inputs[2].tensor->data.as<int32_t>() : nullptr;
  ConvGeometry g;
  g.group_in = static_cast<size_t>(w.shape[1]);
  g.group_out = static_cast<size_t>(w.shape[0]);
  return make_s8_conv(context, g, q.x, q.y, scales, w.tensor->data.as<int8_t>(), bias, q.clamp, true,
                      "linear_s8_xnnpack_conv1x1");
}

Result<std::unique_ptr<Kernel>> create_avg_pool_f32(const KernelContext& context) {
  GRAMLITE_ASSIGN_OR_RETURN(const ConvGeometry g, avg_pool_geometry(context));
  const std::vector<float> weight(size_t{g.groups} * g.kernel_h * g.kernel_w,
                                  1.0f / static_cast<float>(g.kernel_h * g.kernel_w));
  return make_f32_conv(context, g, weight.data(), nullptr, ir::Activation::kNone, "avg_pool_f32_xnnpack_depthwise");
}

Result<std::unique_ptr<Kernel>> create_avg_pool_s8(const KernelContext& context) {
  GRAMLITE_ASSIGN_OR_RETURN(const ConvGeometry g, avg_pool_geometry(context));
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::InOutQuant q, ref8::unary_quant(context));
  // Weights of 1 with scale 1 / taps: the accumulator is the window's sum of (q - z_x), rescaled
  // by s_x / (taps * s_y), as the reference pool requantizes its sum.
  const std::vector<int8_t> weight(size_t{g.groups} * g.kernel_h * g.kernel_w, 1);
  const std::vector<float> scales(g.groups, 1.0f / static_cast<float>(g.kernel_h * g.kernel_w));
  return make_s8_conv(context, g, q.in, q.out, scales, weight.data(), nullptr, ir::Int8Clamp{}, false,
                      "avg_pool_s8_xnnpack_depthwise");
}

}  // namespace gramlite::runtime::xnnpack
