// float32 Conv2d computed in fp16 (SessionOptions::fp16_arithmetic), on CPUs with fp16 arithmetic:
// ARMv8.2-A FP16, whose vector units hold twice as many fp16 lanes as float32 ones. The graph's
// values stay float32 between nodes, so the kernel converts its input to fp16 in scratch, runs
// XNNPACK's fp16 convolution (weights and bias rounded to fp16 once, at create) and widens the
// result: three operators, one kernel. XNNPACK refuses fp16 operators on CPUs without fp16
// arithmetic (unsupported hardware); the node then runs in float32. On x86 the kernel declines
// outright: no x86 CPU this project targets computes in fp16 (XNNPACK would convert around
// float32 arithmetic, slower than float32 alone).
#include <vector>

#include "base/float16.h"
#include "runtime/xnnpack/conv_geometry.h"
#include "runtime/xnnpack/ops.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

class ConvF16Kernel final : public XnnKernel {
 public:
  ConvF16Kernel(Operator to_f16, Operator conv, Operator to_f32, size_t in_channels, size_t out_channels)
      : XnnKernel("conv2d_f16_xnnpack"), in_channels_(in_channels), out_channels_(out_channels) {
    operators_.push_back(std::move(to_f16));
    operators_.push_back(std::move(conv));
    operators_.push_back(std::move(to_f32));
  }
  size_t scratch_bytes() const override { return output_offset() + output_pixels_ * out_channels_ * 2; }

 protected:
  Status plan(const KernelContext& context) override {
    const ir::Shape& x = context.inputs[0].shape;
    const ir::Shape& y = context.outputs[0].shape;
    batch_ = static_cast<size_t>(x[0]);
    height_ = static_cast<size_t>(x[2]);
    width_ = static_cast<size_t>(x[3]);
    input_pixels_ = batch_ * height_ * width_;
    output_pixels_ = static_cast<size_t>(y[0] * y[2] * y[3]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const override {
    auto* input_f16 = static_cast<uint8_t*>(io.scratch);
    uint8_t* output_f16 = input_f16 + output_offset();
    xnn_status status = xnn_setup_convert_nc_f32_f16(operators_[0].get(), input_pixels_,
                                                     static_cast<const float*>(io.inputs[0]), input_f16, threadpool);
    if (status != xnn_status_success) return status;
    status = xnn_setup_convolution2d_nhwc_f16(operators_[1].get(), batch_, height_, width_, input_f16, output_f16,
                                              threadpool);
    if (status != xnn_status_success) return status;
    return xnn_setup_convert_nc_f16_f32(operators_[2].get(), output_pixels_, output_f16,
                                        static_cast<float*>(io.outputs[0]), threadpool);
  }

 private:
  // Scratch: the fp16 input, then (64-byte aligned) the fp16 output.
  size_t output_offset() const { return (input_pixels_ * in_channels_ * 2 + 63) / 64 * 64; }

  size_t in_channels_, out_channels_;
  size_t batch_ = 0, height_ = 0, width_ = 0, input_pixels_ = 0, output_pixels_ = 0;
};

std::vector<uint16_t> to_half(const float* values, size_t count) {
  std::vector<uint16_t> half(count);
  floats_to_half(values, count, half.data());
  return half;
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_f16_arithmetic(const KernelContext& context, const float* weight,
                                                            const float* bias) {
#if defined(__aarch64__)
  constexpr bool kArm = true;
#else
  constexpr bool kArm = false;
#endif
  if (!kArm) return unsupported("xnnpack: fp16 arithmetic is used on ARM only");
  GRAMLITE_RETURN_IF_ERROR(initialize());
  const auto& attrs = context.node.attr<ir::Conv2dAttrs>();
  const ConvGeometry g = conv_geometry(attrs, context.inputs[0].shape[1], context.inputs[1].shape[0]);
  GRAMLITE_ASSIGN_OR_RETURN(auto bounds, float_activation_bounds(context.node.fused_activation));
  const size_t in_channels = g.groups * g.group_in;
  const size_t out_channels = g.groups * g.group_out;
  const size_t weight_count = out_channels * g.group_in * g.kernel_h * g.kernel_w;
  std::vector<float> ohwi;
  if (g.group_in != 1 || g.group_out != 1) {
    ohwi = weights_ohwi(weight, g);
    weight = ohwi.data();
  }
  const std::vector<uint16_t> weight_f16 = to_half(weight, weight_count);
  const std::vector<uint16_t> bias_f16 = bias != nullptr ? to_half(bias, out_channels) : std::vector<uint16_t>{};
  xnn_operator_t raw = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_convolution2d_nhwc_f16(g.pad_top, g.pad_right, g.pad_bottom, g.pad_left, g.kernel_h, g.kernel_w,
                                        g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, g.groups, g.group_in,
                                        g.group_out, in_channels, out_channels, weight_f16.data(),
                                        bias_f16.empty() ? nullptr : bias_f16.data(), bounds.first, bounds.second, 0,
                                        &raw),
      "convolution2d_nhwc_f16"));
  Operator conv(raw);
  GRAMLITE_RETURN_IF_ERROR(
      check(xnn_create_convert_nc_f32_f16(in_channels, in_channels, in_channels, 0, &raw), "convert_nc_f32_f16"));
  Operator to_f16(raw);
  GRAMLITE_RETURN_IF_ERROR(
      check(xnn_create_convert_nc_f16_f32(out_channels, out_channels, out_channels, 0, &raw), "convert_nc_f16_f32"));
  Operator to_f32(raw);
  auto kernel =
      std::make_unique<ConvF16Kernel>(std::move(to_f16), std::move(conv), std::move(to_f32), in_channels, out_channels);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::xnnpack
