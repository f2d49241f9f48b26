// int8 Conv2d on oneDNN's x86 kernels, which multiply u8 activations by s8 weights with AVX2's
// vpmaddubsw: about 2x the rate of XNNPACK's sign-extending int8 kernels on CPUs without VNNI.
//
// The graph's activations are s8. q and q + 128 as u8 with the zero point + 128 are the same real
// values, so the kernel flips the sign bit of its input into scratch (one pass over the input,
// small next to the convolution) and runs u8 x s8 -> s8. vpmaddubsw adds two u8 x s8 products in
// int16, which saturates for weights beyond 7 bits (2 x 255 x 127 > 32767), so on CPUs without
// VNNI the kernel declines 8-bit weights (XNNPACK runs them exactly); `quantize --weight-bits 7`
// makes models it runs exactly, as ONNX Runtime's reduce_range does for the same reason.
// Requantization is oneDNN's: float32 scales per channel, rounding to nearest even.
#include <dnnl.hpp>

#include <algorithm>

#include "runtime/onednn/convolution.h"
#include "runtime/onednn/onednn.h"
#include "runtime/onednn/onednn_common.h"
#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::onednn {
namespace {

namespace ref8 = reference::int8;
using dt = dnnl::memory::data_type;

struct ConvSpec {
  int64_t in_channels = 0, out_channels = 0, groups = 1;
  ir::Conv2dAttrs attrs;
  std::vector<float> scales;  // s_x * s_w[c] / s_y
  int32_t src_zero_point = 0;  // of the u8 input: z_x + 128
  int32_t dst_zero_point = 0;
  ir::Int8Clamp clamp;
};

// s8 -> u8 with the same real values (zero point + 128). A function of its own, with restrict
// pointers, so that it vectorises: inline in a lambda, the byte stores may alias the closure and
// the compiler reloads its pointers per byte (measured: 0.15 ms a layer on MobileNetV2's
// 56x56x144 inputs, a quarter of the convolution's time).
void flip_sign_bits(const uint8_t* __restrict in, uint8_t* __restrict out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(in[i] ^ 0x80u);
}

class ConvS8Kernel final : public OnednnConvolution {
 public:
  ConvS8Kernel(ConvSpec spec, dnnl::memory user_weights, dnnl::memory user_bias, int threads)
      : OnednnConvolution(spec.attrs, std::move(user_weights), std::move(user_bias), threads, "conv2d_s8_onednn_"),
        spec_(std::move(spec)) {}

 private:
  dt src_type() const override { return dt::u8; }
  dt dst_type() const override { return dt::s8; }
  bool configure(dnnl::primitive_attr& attr, std::string&) const override {
    attr.set_output_scales(1 << 1, spec_.scales);
    attr.set_zero_points(DNNL_ARG_SRC, 0, {spec_.src_zero_point});
    attr.set_zero_points(DNNL_ARG_DST, 0, {spec_.dst_zero_point});
    if (spec_.clamp.min > ir::kInt8Min || spec_.clamp.max < ir::kInt8Max) {
      // The clamp in the scaled domain, before the zero point is added: integers, so clamping
      // before rounding equals clamping after (docs/runtime.md).
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip,
                         static_cast<float>(spec_.clamp.min - spec_.dst_zero_point),
                         static_cast<float>(spec_.clamp.max - spec_.dst_zero_point));
      attr.set_post_ops(ops);
    }
    return true;
  }
  size_t input_scratch_bytes(size_t elements) const override { return elements; }
  // The input as u8 (sign bit flipped) in scratch: one pass, small next to the convolution.
  const void* prepare_input(const void* input, size_t elements, void* scratch, ThreadPool* pool) const override {
    auto* shifted = static_cast<uint8_t*>(scratch);
    const auto* in = static_cast<const uint8_t*>(input);
    const auto flip = [shifted, in](int64_t begin, int64_t end) {
      flip_sign_bits(in + begin, shifted + begin, end - begin);
    };
    const auto bytes = static_cast<int64_t>(elements);
    if (bytes < 65536) {
      flip(0, bytes);
    } else {
      parallel_for(pool, bytes, flip);
    }
    return shifted;
  }

  ConvSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_s8(const KernelContext& context) {
  const TensorDesc& w = context.inputs[1];
  if (context.inputs[0].shape.size() != 4) return unsupported("onednn: conv input is not 4-D");
  const auto& attrs = context.node.attr<ir::Conv2dAttrs>();
  const bool depthwise = attrs.groups > 1 && attrs.groups == context.inputs[0].shape[1] && attrs.groups == w.shape[0];
  if (depthwise && (attrs.stride_h > 1 || attrs.stride_w > 1)) {
    // Measured on MobileNetV2 at 1 thread: oneDNN's strided int8 depthwise kernels take 2.2x
    // XNNPACK's time (0.49 vs 0.22 ms); at stride 1 oneDNN is 10-35 % faster (docs/runtime.md).
    return unsupported("onednn: strided int8 depthwise convolutions run on XNNPACK");
  }
  if (w.dtype != ir::DType::kInt8 || !w.is_constant()) {
    return unsupported("onednn: Conv2d weight is not an int8 constant");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::WeightLayerQuant q, ref8::plan_weight_layer_quant(context, w.shape[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<float> weight_scales, ref8::weight_scales(w, w.shape[0]));
  const auto* weights = w.tensor->data.as<int8_t>();
  const size_t weight_count = element_count_of(w.shape);
  if (!cpu_has_vnni()) {
    for (size_t i = 0; i < weight_count; ++i) {
      if (weights[i] < -63 || weights[i] > 63) {
        return unsupported("onednn: 8-bit weights would saturate AVX2's u8 x s8 pair sums on this CPU (no VNNI); "
                           "quantize with --weight-bits 7 to run on oneDNN");
      }
    }
  }
  ConvSpec spec;
  spec.attrs = context.node.attr<ir::Conv2dAttrs>();
  spec.in_channels = context.inputs[0].shape[1];
  spec.out_channels = w.shape[0];
  spec.groups = spec.attrs.groups;
  for (float s : weight_scales) spec.scales.push_back(q.x.scale * s / q.y.scale);
  spec.src_zero_point = q.x.zero_point + 128;
  spec.dst_zero_point = q.y.zero_point;
  spec.clamp = q.clamp;
  try {
    ConvParameters parameters = wrap_conv_parameters(
        spec.attrs, spec.in_channels, spec.out_channels, dt::s8, weights, dt::s32,
        q.has_bias ? context.inputs[2].tensor->data.as<int32_t>() : nullptr);
    auto kernel = std::make_unique<ConvS8Kernel>(std::move(spec), std::move(parameters.weights),
                                                 std::move(parameters.bias), std::max(1, context.thread_count));
    GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
    return std::unique_ptr<Kernel>(std::move(kernel));
  } catch (const dnnl::error& e) {
    return unsupported("onednn: ", e.what());
  }
}

}  // namespace gramlite::runtime::onednn
