// Concat along channels, and the kernels that need no XNNPACK operator of their own: views and
// softmax. In NHWC a channel concat is one strided copy per input into its slice of every pixel.
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
  for (const TensorDesc& in : context.inputs) {
    if (in.dtype != dtype) return unsupported("xnnpack: Concat of mixed dtypes");
    if (in.is_constant()) return unsupported("xnnpack: Concat of a constant");
    if (dtype == ir::DType::kInt8) {
      GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant q, ref8::activation_quant(in, "input"));
      GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant out, ref8::activation_quant(context.outputs[0], "output"));
      if (!ref8::same_quant(q, out)) return unsupported("xnnpack: int8 Concat input needs a rescale");
    }
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
