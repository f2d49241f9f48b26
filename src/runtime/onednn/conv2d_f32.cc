// float32 Conv2d on oneDNN's AVX-512 kernels (brgemm / jit), dense and depthwise: they outran
// XNNPACK on every convolution of the zoo models measured; its AVX2 kernels did not, so without
// AVX-512 the kernel declines (docs/runtime.md, "Choosing backends"). NHWC in and
// out, like XNNPACK, so no layout conversion sits between the two; weights packed once into the
// primitive's own format; bias and the fused activation run inside the kernel as post-ops; one
// slice of the output per thread of the session's pool (convolution.h).
#include <dnnl.hpp>

#include <algorithm>
#include <string>

#include "runtime/onednn/convolution.h"
#include "runtime/onednn/onednn.h"
#include "runtime/onednn/onednn_common.h"

namespace gramlite::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;

// The fused activation as a post-op; false where oneDNN 2.6 has no eltwise that computes it.
bool append_activation(ir::Activation activation, dnnl::post_ops& ops) {
  switch (activation) {
    case ir::Activation::kNone:
      return true;
    case ir::Activation::kRelu:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      return true;
    case ir::Activation::kRelu6:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);
      return true;
    case ir::Activation::kHardSwish:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f);
      return true;
    case ir::Activation::kSigmoid:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f);
      return true;
    case ir::Activation::kHardSigmoid:
    case ir::Activation::kCount:
      return false;
  }
  return false;
}

class ConvF32Kernel final : public OnednnConvolution {
 public:
  ConvF32Kernel(ir::Conv2dAttrs attrs, ir::Activation activation, dnnl::memory user_weights,
                dnnl::memory user_bias, int threads)
      : OnednnConvolution(attrs, std::move(user_weights), std::move(user_bias), threads, "conv2d_f32_onednn_"),
        activation_(activation) {}

 private:
  dt src_type() const override { return dt::f32; }
  dt dst_type() const override { return dt::f32; }
  bool configure(dnnl::primitive_attr& attr, std::string& why) const override {
    dnnl::post_ops ops;
    if (!append_activation(activation_, ops)) {
      why = "no post-op for this fused activation";
      return false;
    }
    attr.set_post_ops(ops);
    return true;
  }
  size_t input_scratch_bytes(size_t) const override { return 0; }
  const void* prepare_input(const void* input, size_t, void*, ThreadPool*) const override { return input; }

  ir::Activation activation_;
};

}  // namespace

bool takes_float32_convolutions() { return cpu_has_avx512(); }

Result<std::unique_ptr<Kernel>> create_conv2d_f32(const KernelContext& context) {
  if (!takes_float32_convolutions()) {
    // Measured with oneDNN held to AVX2 (DNNL_MAX_CPU_ISA=AVX2) on the AVX-512 VM: ResNet50
    // 115 ms and MobileNetV2 8.3 ms against XNNPACK's 91 and 5.9 (docs/runtime.md).
    return unsupported("onednn: float32 convolutions only on AVX-512 (its AVX2 kernels measured slower than XNNPACK)");
  }
  if (context.inputs[0].shape.size() != 4) return unsupported("onednn: conv input is not 4-D");
  const TensorDesc& w = context.inputs[1];
  if (w.dtype != ir::DType::kFloat32 || !w.is_constant()) {
    return unsupported("onednn: Conv2d weight is not a float32 constant");
  }
  const bool has_bias = context.inputs.size() > 2 && context.inputs[2].present;
  if (has_bias && (context.inputs[2].dtype != ir::DType::kFloat32 || !context.inputs[2].is_constant())) {
    return unsupported("onednn: Conv2d bias is not a float32 constant");
  }
  const auto& attrs = context.node.attr<ir::Conv2dAttrs>();
  const int64_t in_channels = context.inputs[0].shape[1];
  const int64_t out_channels = w.shape[0];
  try {
    ConvParameters parameters =
        wrap_conv_parameters(attrs, in_channels, out_channels, dt::f32, w.tensor->data.as<float>(), dt::f32,
                             has_bias ? context.inputs[2].tensor->data.as<float>() : nullptr);
    auto kernel = std::make_unique<ConvF32Kernel>(attrs, context.node.fused_activation,
                                                  std::move(parameters.weights), std::move(parameters.bias),
                                                  std::max(1, context.thread_count));
    GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
    return std::unique_ptr<Kernel>(std::move(kernel));
  } catch (const dnnl::error& e) {
    return unsupported("onednn: ", e.what());
  }
}

}  // namespace gramlite::runtime::onednn
