// MaxPool and GlobalAvgPool, float32 and int8.
#include <limits>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/xnnpack/ops.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

namespace ref8 = reference::int8;

class PoolKernel final : public XnnKernel {
 public:
  enum class Kind { kMaxF32, kMaxS8, kGlobalF32, kGlobalS8 };
  PoolKernel(const char* name, Kind kind, xnn_operator_t op) : XnnKernel(name), kind_(kind) {
    operators_.emplace_back(op);
  }

 protected:
  Status plan(const KernelContext& context) override {
    const ir::Shape& x = context.inputs[0].shape;
    batch_ = static_cast<size_t>(x[0]);
    height_ = static_cast<size_t>(x[2]);
    width_ = static_cast<size_t>(x[3]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t tp) const override {
    xnn_operator_t op = operators_[0].get();
    switch (kind_) {
      case Kind::kMaxF32:
        return xnn_setup_max_pooling2d_nhwc_f32(op, batch_, height_, width_, static_cast<const float*>(io.inputs[0]),
                                                static_cast<float*>(io.outputs[0]), tp);
      case Kind::kMaxS8:
        return xnn_setup_max_pooling2d_nhwc_s8(op, batch_, height_, width_, static_cast<const int8_t*>(io.inputs[0]),
                                               static_cast<int8_t*>(io.outputs[0]), tp);
      case Kind::kGlobalF32:
        return xnn_setup_global_average_pooling_nwc_f32(op, batch_, height_ * width_,
                                                        static_cast<const float*>(io.inputs[0]),
                                                        static_cast<float*>(io.outputs[0]), tp);
      case Kind::kGlobalS8:
        return xnn_setup_global_average_pooling_nwc_qs8(op, batch_, height_ * width_,
                                                        static_cast<const int8_t*>(io.inputs[0]),
                                                        static_cast<int8_t*>(io.outputs[0]), tp);
    }
    return xnn_status_invalid_parameter;
  }

 private:
  Kind kind_;
  size_t batch_ = 0, height_ = 0, width_ = 0;
};

struct MaxPoolGeometry {
  uint32_t top, right, bottom, left;
};

// Padding for XNNPACK's floor arithmetic to give the IR's output size: ceil mode's extra windows
// become extra bottom / right padding (max pooling never reads padding).
Result<MaxPoolGeometry> max_pool_geometry(const KernelContext& context) {
  const auto& a = context.node.attr<ir::Pool2dAttrs>();
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& y = context.outputs[0].shape;
  if (x.size() != 4 || y.size() != 4) return unsupported("xnnpack: pool input is not 4-D");
  MaxPoolGeometry g{static_cast<uint32_t>(a.padding.top), static_cast<uint32_t>(a.padding.right),
                    static_cast<uint32_t>(a.padding.bottom), static_cast<uint32_t>(a.padding.left)};
  const int64_t need_h = (y[2] - 1) * a.stride_h + a.kernel_h - (x[2] + a.padding.top + a.padding.bottom);
  const int64_t need_w = (y[3] - 1) * a.stride_w + a.kernel_w - (x[3] + a.padding.left + a.padding.right);
  if (need_h > 0) g.bottom += static_cast<uint32_t>(need_h);
  if (need_w > 0) g.right += static_cast<uint32_t>(need_w);
  return g;
}

template <typename K>
Result<std::unique_ptr<Kernel>> finish(std::unique_ptr<K> kernel, const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_max_pool_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_ASSIGN_OR_RETURN(const MaxPoolGeometry g, max_pool_geometry(context));
  const auto& a = context.node.attr<ir::Pool2dAttrs>();
  const auto channels = static_cast<size_t>(context.inputs[0].shape[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_max_pooling2d_nhwc_f32(g.top, g.right, g.bottom, g.left, static_cast<uint32_t>(a.kernel_h),
                                        static_cast<uint32_t>(a.kernel_w), static_cast<uint32_t>(a.stride_h),
                                        static_cast<uint32_t>(a.stride_w), 1, 1, channels, channels, channels,
                                        -std::numeric_limits<float>::infinity(),
                                        std::numeric_limits<float>::infinity(), 0, &op),
      "max_pooling2d_nhwc_f32"));
  return finish(std::make_unique<PoolKernel>("max_pool_f32_xnnpack", PoolKernel::Kind::kMaxF32, op), context);
}

Result<std::unique_ptr<Kernel>> create_max_pool_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::InOutQuant q, ref8::unary_quant(context));
  if (!ref8::same_quant(q.in, q.out)) return unsupported("xnnpack: int8 MaxPool with a rescale");
  GRAMLITE_ASSIGN_OR_RETURN(const MaxPoolGeometry g, max_pool_geometry(context));
  const auto& a = context.node.attr<ir::Pool2dAttrs>();
  const auto channels = static_cast<size_t>(context.inputs[0].shape[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_max_pooling2d_nhwc_s8(g.top, g.right, g.bottom, g.left, static_cast<uint32_t>(a.kernel_h),
                                       static_cast<uint32_t>(a.kernel_w), static_cast<uint32_t>(a.stride_h),
                                       static_cast<uint32_t>(a.stride_w), 1, 1, channels, channels, channels, -128, 127,
                                       0, &op),
      "max_pooling2d_nhwc_s8"));
  return finish(std::make_unique<PoolKernel>("max_pool_s8_xnnpack", PoolKernel::Kind::kMaxS8, op), context);
}

Result<std::unique_ptr<Kernel>> create_global_avg_pool_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  if (context.inputs[0].shape.size() != 4) return unsupported("xnnpack: GlobalAvgPool input is not 4-D");
  const auto channels = static_cast<size_t>(context.inputs[0].shape[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(xnn_create_global_average_pooling_nwc_f32(
                                     channels, channels, channels, -std::numeric_limits<float>::infinity(),
                                     std::numeric_limits<float>::infinity(), 0, &op),
                                 "global_average_pooling_nwc_f32"));
  return finish(std::make_unique<PoolKernel>("global_avg_pool_f32_xnnpack", PoolKernel::Kind::kGlobalF32, op), context);
}

Result<std::unique_ptr<Kernel>> create_global_avg_pool_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  if (context.inputs[0].shape.size() != 4) return unsupported("xnnpack: GlobalAvgPool input is not 4-D");
  GRAMLITE_ASSIGN_OR_RETURN(const TensorQuant x, per_tensor_int8(context.inputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const TensorQuant y, per_tensor_int8(context.outputs[0]));
  const auto channels = static_cast<size_t>(context.inputs[0].shape[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(xnn_create_global_average_pooling_nwc_qs8(channels, channels, channels, x.zero_point,
                                                                           x.scale, y.zero_point, y.scale, -128, 127,
                                                                           0, &op),
                                 "global_average_pooling_nwc_qs8"));
  return finish(std::make_unique<PoolKernel>("global_avg_pool_s8_xnnpack", PoolKernel::Kind::kGlobalS8, op), context);
}

}  // namespace gramlite::runtime::xnnpack
