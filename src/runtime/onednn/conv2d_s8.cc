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
#include <cstring>
#include <unordered_map>

#include "runtime/onednn/onednn.h"
#include "runtime/reference/int8/int8_common.h"

#include <omp.h>

namespace gramlite::runtime::onednn {
namespace {

namespace ref8 = reference::int8;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Whether oneDNN dispatches to VNNI kernels on this CPU (vpdpbusd adds u8 x s8 products in int32).
bool cpu_has_vnni() {
  using isa = dnnl::cpu_isa;
  const isa effective = dnnl::get_effective_cpu_isa();
  return effective == isa::avx2_vnni || effective == isa::avx512_core_vnni || effective == isa::avx512_core_bf16 ||
         effective == isa::avx512_core_amx;
}

struct ConvSpec {
  int64_t in_channels = 0, out_channels = 0, groups = 1;
  ir::Conv2dAttrs attrs;
  std::vector<float> scales;  // s_x * s_w[c] / s_y
  int32_t src_zero_point = 0;  // of the u8 input: z_x + 128
  int32_t dst_zero_point = 0;
  ir::Int8Clamp clamp;
};

class ConvS8Kernel final : public Kernel {
 public:
  ConvS8Kernel(ConvSpec spec, dnnl::memory user_weights, dnnl::memory user_bias, int threads)
      : spec_(std::move(spec)), user_weights_(std::move(user_weights)), user_bias_(std::move(user_bias)),
        threads_(threads) {}
  const char* name() const override { return name_.c_str(); }
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  size_t scratch_bytes() const override { return input_bytes_ + 64 + scratchpad_bytes_; }
  size_t packed_weight_bytes() const override { return weights_.get_desc().get_size(); }

  Status reshape(const KernelContext& context) override {
    const ir::Shape& x = context.inputs[0].shape;
    const ir::Shape& y = context.outputs[0].shape;
    try {
      // oneDNN splits the work for the threads OpenMP reports when the primitive is created; run()
      // must then offer the same number.
      omp_set_num_threads(threads_);
      const ir::Conv2dAttrs& a = spec_.attrs;
      const dnnl::memory::dims src_dims = {x[0], x[1], x[2], x[3]};
      const dnnl::memory::dims dst_dims = {y[0], y[1], y[2], y[3]};
      dnnl::memory::dims weight_dims = {spec_.out_channels, spec_.in_channels / spec_.groups, a.kernel_h, a.kernel_w};
      if (spec_.groups > 1) {
        weight_dims = {spec_.groups, spec_.out_channels / spec_.groups, spec_.in_channels / spec_.groups, a.kernel_h,
                       a.kernel_w};
      }
      const dnnl::memory::desc src_md(src_dims, dt::u8, tag::nhwc);
      const dnnl::memory::desc dst_md(dst_dims, dt::s8, tag::nhwc);
      const dnnl::memory::desc weights_md(weight_dims, dt::s8, tag::any);
      const dnnl::memory::desc bias_md({spec_.out_channels}, dt::s32, tag::x);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      attr.set_output_scales(1 << 1, spec_.scales);
      attr.set_zero_points(DNNL_ARG_SRC, 0, {spec_.src_zero_point});
      attr.set_zero_points(DNNL_ARG_DST, 0, {spec_.dst_zero_point});
      if (spec_.clamp.min > ir::kInt8Min || spec_.clamp.max < ir::kInt8Max) {
        // The clamp in the scaled domain, before the zero point is added: integers, so clamping
        // before rounding equals clamping after (docs/runtime.md).
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, static_cast<float>(spec_.clamp.min - spec_.dst_zero_point),
                           static_cast<float>(spec_.clamp.max - spec_.dst_zero_point));
        attr.set_post_ops(ops);
      }
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, weights_md,
          has_bias() ? bias_md : dnnl::memory::desc(), dst_md, {a.stride_h, a.stride_w},
          {a.dilation_h - 1, a.dilation_w - 1}, {a.padding.top, a.padding.left}, {a.padding.bottom, a.padding.right});
      dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
      const std::string impl = pd.impl_info_str();
      if (impl.find("ref") != std::string::npos) {
        return unsupported("onednn: no optimised int8 kernel for this convolution (", impl, ")");
      }
      if (weights_.get(true) == nullptr || weights_.get_desc() != pd.weights_desc()) {
        weights_ = dnnl::memory(pd.weights_desc(), cpu_engine());
        dnnl::stream stream(cpu_engine());
        dnnl::reorder(user_weights_, weights_).execute(stream, user_weights_, weights_);
        stream.wait();
      }
      primitive_ = dnnl::convolution_forward(pd);
      src_ = dnnl::memory(src_md, cpu_engine(), DNNL_MEMORY_NONE);
      dst_ = dnnl::memory(dst_md, cpu_engine(), DNNL_MEMORY_NONE);
      scratchpad_ = dnnl::memory(pd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
      scratchpad_bytes_ = pd.scratchpad_desc().get_size();
      input_bytes_ = element_count_of(x);
      args_ = {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}, {DNNL_ARG_SCRATCHPAD, scratchpad_}};
      if (has_bias()) args_.emplace(DNNL_ARG_BIAS, user_bias_);
      name_ = std::string("conv2d_s8_onednn_") + impl;
    } catch (const dnnl::error& e) {
      return unsupported("onednn: ", e.what());
    }
    return Status::Ok();
  }

  void run(const KernelIo& io, ThreadPool*) const override {
    auto* shifted = static_cast<uint8_t*>(io.scratch);
    const auto* in = static_cast<const uint8_t*>(io.inputs[0]);
    for (size_t i = 0; i < input_bytes_; ++i) shifted[i] = static_cast<uint8_t>(in[i] ^ 0x80u);
    void* scratchpad = shifted + (input_bytes_ + 63) / 64 * 64;
    src_.set_data_handle(shifted);
    dst_.set_data_handle(io.outputs[0]);
    scratchpad_.set_data_handle(scratchpad);
    omp_set_num_threads(threads_);
    primitive_.execute(stream_, args_);
    stream_.wait();
  }

 private:
  bool has_bias() const { return user_bias_.get(true) != nullptr; }

  ConvSpec spec_;
  dnnl::memory user_weights_;
  dnnl::memory user_bias_;
  int threads_;
  dnnl::memory weights_;  // packed for the primitive, once (again only if a batch changes its format)
  dnnl::convolution_forward primitive_;
  // Handles re-pointed at every run (set_data_handle); args_ shares them, so nothing is allocated.
  mutable dnnl::memory src_, dst_, scratchpad_;
  std::unordered_map<int, dnnl::memory> args_;
  mutable dnnl::stream stream_{cpu_engine()};
  size_t input_bytes_ = 0;
  size_t scratchpad_bytes_ = 0;
  std::string name_ = "conv2d_s8_onednn";
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_s8(const KernelContext& context) {
  const TensorDesc& w = context.inputs[1];
  if (context.thread_count > 1) {
    // Debian's oneDNN runs on OpenMP's threads, the rest of the graph on the session's pool; with
    // two or more threads each pool's waiting workers take the cores the other needs (MobileNetV2
    // int8 at 2 threads: 15.9 ms with oneDNN convolutions, 4.5 ms on XNNPACK alone; README).
    return unsupported("onednn: single-threaded sessions only (its OpenMP threads contend with the session's pool)");
  }
  if (context.inputs[0].shape.size() != 4) return unsupported("onednn: conv input is not 4-D");
  if (w.dtype != ir::DType::kInt8 || !w.is_constant()) return unsupported("onednn: Conv2d weight is not an int8 constant");
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
    const ir::Conv2dAttrs& a = spec.attrs;
    dnnl::memory::dims dims = {spec.out_channels, spec.in_channels / spec.groups, a.kernel_h, a.kernel_w};
    tag weight_tag = tag::oihw;
    if (spec.groups > 1) {
      dims = {spec.groups, spec.out_channels / spec.groups, spec.in_channels / spec.groups, a.kernel_h, a.kernel_w};
      weight_tag = tag::goihw;
    }
    // The graph's constants outlive the kernel (kernel.h); oneDNN reads them through these handles.
    dnnl::memory user_weights({dims, dt::s8, weight_tag}, cpu_engine(), const_cast<int8_t*>(weights));
    dnnl::memory user_bias;
    if (q.has_bias) {
      user_bias = dnnl::memory({{spec.out_channels}, dt::s32, tag::x}, cpu_engine(),
                               const_cast<int32_t*>(context.inputs[2].tensor->data.as<int32_t>()));
    }
    auto kernel = std::make_unique<ConvS8Kernel>(std::move(spec), std::move(user_weights), std::move(user_bias),
                                                 std::max(1, context.thread_count));
    GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
    return std::unique_ptr<Kernel>(std::move(kernel));
  } catch (const dnnl::error& e) {
    return unsupported("onednn: ", e.what());
  }
}

}  // namespace gramlite::runtime::onednn
