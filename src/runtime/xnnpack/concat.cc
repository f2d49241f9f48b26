// Concat along channels, and the kernels that need no XNNPACK operator of their own: views and
// softmax. In NHWC a channel concat is one strided copy per input into its slice of every pixel.
#include <array>
#include <cstring>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/xnnpack/ops.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

namespace ref8 = reference::int8;

class ConcatKernel final : public XnnKernel {
 public:
  ConcatKernel(const char* name, size_t element_bytes) : XnnKernel(name), element_bytes_(element_bytes) {}
  void add(xnn_operator_t op, size_t channel_offset) {
    operators_.emplace_back(op);
    offsets_.push_back(channel_offset);
  }

 protected:
  Status plan(const KernelContext& context) override {
    const ir::Shape& y = context.outputs[0].shape;
    pixels_ = static_cast<size_t>(y[0]);
    for (size_t i = 2; i < y.size(); ++i) pixels_ *= static_cast<size_t>(y[i]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t tp) const override {
    for (size_t i = 0; i < operators_.size(); ++i) {
      void* out = static_cast<uint8_t*>(io.outputs[0]) + offsets_[i] * element_bytes_;
      const xnn_status status = element_bytes_ == 4 ? xnn_setup_copy_nc_x32(operators_[i].get(), pixels_, io.inputs[i], out, tp)
                                                    : xnn_setup_copy_nc_x8(operators_[i].get(), pixels_, io.inputs[i], out, tp);
      if (status != xnn_status_success) return status;
    }
    return xnn_status_success;
  }

 private:
  size_t element_bytes_;
  std::vector<size_t> offsets_;
  size_t pixels_ = 0;
};

// A view: the session aliases the output to the input; nothing runs. Accepted only where NHWC and
// NCHW memory agree (the view's arithmetic is on the logical shape).
class ViewKernel final : public XnnKernel {
 public:
  ViewKernel() : XnnKernel("view_xnnpack") {}

 protected:
  Status plan(const KernelContext&) override { return Status::Ok(); }
  xnn_status setup(const KernelIo&, pthreadpool_t) const override { return xnn_status_success; }
};

class SoftmaxKernel final : public XnnKernel {
 public:
  explicit SoftmaxKernel(xnn_operator_t op) : XnnKernel("softmax_f32_xnnpack") { operators_.emplace_back(op); }

 protected:
  Status plan(const KernelContext& context) override {
    rows_ = static_cast<size_t>(context.inputs[0].shape[0]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t tp) const override {
    return xnn_setup_softmax_nc_f32(operators_[0].get(), rows_, static_cast<const float*>(io.inputs[0]),
                                    static_cast<float*>(io.outputs[0]), tp);
  }

 private:
  size_t rows_ = 0;
};

// int8 Concat whose inputs have their own scales and zero points: each input's 256 possible values
// map to the output's through a table built with the reference's own rescale, so the result is the
// reference's, byte for byte; inputs already in the output's parameters are copied.
class Int8RescalingConcatKernel final : public Kernel {
 public:
  struct Part {
    size_t channels = 0;
    bool copy = true;
    std::array<int8_t, 256> table{};
  };
  explicit Int8RescalingConcatKernel(std::vector<Part> parts) : parts_(std::move(parts)) {
    for (const Part& part : parts_) total_ += part.channels;
  }
  const char* name() const override { return "concat_s8_nhwc_rescale"; }
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  Status reshape(const KernelContext& context) override {
    const ir::Shape& y = context.outputs[0].shape;
    pixels_ = 1;
    for (size_t i = 0; i < y.size(); ++i) pixels_ *= i == 1 ? 1 : y[i];
    return Status::Ok();
  }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    auto* out = static_cast<int8_t*>(io.outputs[0]);
    parallel_for(pool, pixels_, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        int8_t* dst = out + static_cast<size_t>(p) * total_;
        for (size_t i = 0; i < parts_.size(); ++i) {
          const Part& part = parts_[i];
          const int8_t* src = static_cast<const int8_t*>(io.inputs[i]) + static_cast<size_t>(p) * part.channels;
          if (part.copy) {
            std::memcpy(dst, src, part.channels);
          } else {
            for (size_t c = 0; c < part.channels; ++c) dst[c] = part.table[static_cast<uint8_t>(src[c] + 128)];
          }
          dst += part.channels;
        }
      }
    });
  }

 private:
  std::vector<Part> parts_;
  size_t total_ = 0;
  int64_t pixels_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_concat(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  const ir::Shape& y = context.outputs[0].shape;
  const auto rank = static_cast<int32_t>(y.size());
  int32_t axis = context.node.attr<ir::ConcatAttrs>().axis;
  if (axis < 0) axis += rank;
  if (axis != 1 || (rank != 2 && rank != 4)) return unsupported("xnnpack: Concat other than along channels");
  const ir::DType dtype = context.outputs[0].dtype;
  if (dtype != ir::DType::kFloat32 && dtype != ir::DType::kInt8) return unsupported("xnnpack: Concat of ", ir::dtype_name(dtype));
  bool rescale = false;
  std::vector<Int8RescalingConcatKernel::Part> parts;
  for (const TensorDesc& in : context.inputs) {
    if (in.dtype != dtype) return unsupported("xnnpack: Concat of mixed dtypes");
    if (in.is_constant()) return unsupported("xnnpack: Concat of a constant");
    if (dtype == ir::DType::kInt8) {
      GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant q, ref8::activation_quant(in, "input"));
      GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant out, ref8::activation_quant(context.outputs[0], "output"));
      Int8RescalingConcatKernel::Part part;
      part.channels = static_cast<size_t>(in.shape[1]);
      part.copy = ref8::same_quant(q, out);
      if (!part.copy) {
        rescale = true;
        const ir::FixedPointMultiplier m = ref8::rescale_multiplier(q, out);
        for (int v = -128; v <= 127; ++v) part.table[static_cast<size_t>(v + 128)] = ref8::rescale(v, q, m, out);
      }
      parts.push_back(part);
    }
  }
  if (rescale) {
    auto kernel = std::make_unique<Int8RescalingConcatKernel>(std::move(parts));
    GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
    return std::unique_ptr<Kernel>(std::move(kernel));
  }
  const auto total = static_cast<size_t>(y[1]);
  auto kernel = std::make_unique<ConcatKernel>(dtype == ir::DType::kInt8 ? "concat_s8_xnnpack" : "concat_f32_xnnpack",
                                               ir::dtype_size(dtype));
  size_t offset = 0;
  for (const TensorDesc& in : context.inputs) {
    const auto channels = static_cast<size_t>(in.shape[1]);
    xnn_operator_t op = nullptr;
    GRAMLITE_RETURN_IF_ERROR(check(dtype == ir::DType::kInt8 ? xnn_create_copy_nc_x8(channels, channels, total, 0, &op)
                                                             : xnn_create_copy_nc_x32(channels, channels, total, 0, &op),
                                   "copy_nc"));
    kernel->add(op, offset);
    offset += channels;
  }
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

Result<std::unique_ptr<Kernel>> create_view(const KernelContext& context) {
  const TensorDesc& x = context.inputs[0];
  const TensorDesc& y = context.outputs[0];
  if (x.is_constant()) return unsupported("xnnpack: view of a constant");
  if (layouts_differ(x.shape) || layouts_differ(y.shape)) {
    return unsupported("xnnpack: a view of a 4-D tensor whose NHWC and NCHW memory differ");
  }
  return std::unique_ptr<Kernel>(std::make_unique<ViewKernel>());
}

Result<std::unique_ptr<Kernel>> create_softmax_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  const ir::Shape& x = context.inputs[0].shape;
  const int32_t axis = context.node.attr<ir::SoftmaxAttrs>().axis;
  if (x.size() != 2 || (axis != -1 && axis != 1)) return unsupported("xnnpack: Softmax other than over a row");
  const auto channels = static_cast<size_t>(x[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(xnn_create_softmax_nc_f32(channels, channels, channels, 0, &op), "softmax_nc_f32"));
  auto kernel = std::make_unique<SoftmaxKernel>(op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::xnnpack
