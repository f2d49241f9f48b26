// Add / Mul (numpy broadcasting, shapes given to XNNPACK in NHWC order) and ReLU / ReLU6 clamps.
#include <array>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/xnnpack/ops.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

namespace ref8 = reference::int8;

// An input's shape as XNNPACK sees it: padded to the output's rank, and for 4-D outputs permuted to
// NHWC. A 4-D operand whose memory differs between the layouts must be an activation (the session
// converts those); a constant one is declined by the factory.
std::vector<size_t> nhwc_dims(const ir::Shape& shape, size_t rank) {
  std::vector<size_t> dims(rank, 1);
  for (size_t i = 0; i < shape.size(); ++i) dims[rank - shape.size() + i] = static_cast<size_t>(shape[i]);
  if (rank == 4) dims = {dims[0], dims[2], dims[3], dims[1]};
  return dims;
}

class BinaryKernel final : public XnnKernel {
 public:
  enum class Kind { kAddF32, kMulF32, kAddS8 };
  BinaryKernel(const char* name, Kind kind, xnn_operator_t op) : XnnKernel(name), kind_(kind) {
    operators_.emplace_back(op);
  }

 protected:
  Status plan(const KernelContext& context) override {
    const size_t rank = context.outputs[0].shape.size();
    a_ = nhwc_dims(context.inputs[0].shape, rank);
    b_ = nhwc_dims(context.inputs[1].shape, rank);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const override {
    switch (kind_) {
      case Kind::kAddF32:
        return xnn_setup_add_nd_f32(operators_[0].get(), a_.size(), a_.data(), b_.size(), b_.data(),
                                    static_cast<const float*>(io.inputs[0]), static_cast<const float*>(io.inputs[1]),
                                    static_cast<float*>(io.outputs[0]), threadpool);
      case Kind::kMulF32:
        return xnn_setup_multiply_nd_f32(operators_[0].get(), a_.size(), a_.data(), b_.size(), b_.data(),
                                         static_cast<const float*>(io.inputs[0]),
                                         static_cast<const float*>(io.inputs[1]), static_cast<float*>(io.outputs[0]),
                                         threadpool);
      case Kind::kAddS8:
        return xnn_setup_add_nd_qs8(operators_[0].get(), a_.size(), a_.data(), b_.size(), b_.data(),
                                    static_cast<const int8_t*>(io.inputs[0]), static_cast<const int8_t*>(io.inputs[1]),
                                    static_cast<int8_t*>(io.outputs[0]), threadpool);
    }
    return xnn_status_invalid_parameter;
  }

 private:
  Kind kind_;
  std::vector<size_t> a_, b_;
};

Status check_operands(const KernelContext& context) {
  const size_t rank = context.outputs[0].shape.size();
  if (rank > 4 || context.inputs.size() != 2) return unsupported("xnnpack: binary op beyond 4-D");
  for (const TensorDesc& in : context.inputs) {
    if (in.is_constant() && rank == 4 && in.shape.size() == 4 && layouts_differ(in.shape)) {
      return unsupported("xnnpack: a constant 4-D operand stored NCHW");
    }
  }
  return Status::Ok();
}

// A clamp over every element: [N, ...] as rows of the per-image element count.
class ClampKernel final : public XnnKernel {
 public:
  ClampKernel(const char* name, bool int8, xnn_operator_t op) : XnnKernel(name), int8_(int8) {
    operators_.emplace_back(op);
  }

 protected:
  Status plan(const KernelContext& context) override {
    batch_ = static_cast<size_t>(context.inputs[0].shape[0]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const override {
    if (int8_) {
      return xnn_setup_clamp_nc_s8(operators_[0].get(), batch_, static_cast<const int8_t*>(io.inputs[0]),
                                   static_cast<int8_t*>(io.outputs[0]), threadpool);
    }
    return xnn_setup_clamp_nc_f32(operators_[0].get(), batch_, static_cast<const float*>(io.inputs[0]),
                                  static_cast<float*>(io.outputs[0]), threadpool);
  }

 private:
  bool int8_;
  size_t batch_ = 0;
};

size_t per_image(const ir::Shape& shape) {
  size_t count = 1;
  for (size_t i = 1; i < shape.size(); ++i) count *= static_cast<size_t>(shape[i]);
  return count;
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_binary_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_RETURN_IF_ERROR(check_operands(context));
  GRAMLITE_ASSIGN_OR_RETURN(auto bounds, float_activation_bounds(context.node.fused_activation));
  xnn_operator_t op = nullptr;
  const bool add = context.node.kind == ir::OpKind::kAdd;
  if (add) {
    GRAMLITE_RETURN_IF_ERROR(check(xnn_create_add_nd_f32(bounds.first, bounds.second, 0, &op), "add_nd_f32"));
  } else {
    GRAMLITE_RETURN_IF_ERROR(
        check(xnn_create_multiply_nd_f32(bounds.first, bounds.second, 0, &op), "multiply_nd_f32"));
  }
  auto kernel = std::make_unique<BinaryKernel>(add ? "add_f32_xnnpack" : "mul_f32_xnnpack",
                                               add ? BinaryKernel::Kind::kAddF32 : BinaryKernel::Kind::kMulF32, op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

Result<std::unique_ptr<Kernel>> create_add_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_RETURN_IF_ERROR(check_operands(context));
  GRAMLITE_ASSIGN_OR_RETURN(const TensorQuant a, per_tensor_int8(context.inputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const TensorQuant b, per_tensor_int8(context.inputs[1]));
  GRAMLITE_ASSIGN_OR_RETURN(const TensorQuant y, per_tensor_int8(context.outputs[0]));
  GRAMLITE_ASSIGN_OR_RETURN(const ir::Int8Clamp clamp,
                            ref8::fused_clamp(context.node, ir::AffineQuant{y.scale, y.zero_point}));
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(xnn_create_add_nd_qs8(a.zero_point, a.scale, b.zero_point, b.scale, y.zero_point,
                                                       y.scale, static_cast<int8_t>(clamp.min),
                                                       static_cast<int8_t>(clamp.max), 0, &op),
                                 "add_nd_qs8"));
  auto kernel = std::make_unique<BinaryKernel>("add_s8_xnnpack", BinaryKernel::Kind::kAddS8, op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

Result<std::unique_ptr<Kernel>> create_clamp_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  const ir::Activation activation = *ir::activation_of(context.node.kind);
  GRAMLITE_ASSIGN_OR_RETURN(auto bounds, float_activation_bounds(activation));
  const size_t count = per_image(context.inputs[0].shape);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(
      check(xnn_create_clamp_nc_f32(count, count, count, bounds.first, bounds.second, 0, &op), "clamp_nc_f32"));
  auto kernel = std::make_unique<ClampKernel>("clamp_f32_xnnpack", false, op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

Result<std::unique_ptr<Kernel>> create_clamp_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::InOutQuant q, ref8::unary_quant(context));
  if (!ref8::same_quant(q.in, q.out)) return unsupported("xnnpack: int8 clamp with a rescale");
  const ir::Int8Clamp clamp = context.node.kind == ir::OpKind::kRelu ? ir::clamp_for_relu(q.out) : ir::clamp_for_relu6(q.out);
  const size_t count = per_image(context.inputs[0].shape);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(xnn_create_clamp_nc_s8(count, count, count, static_cast<int8_t>(clamp.min),
                                                        static_cast<int8_t>(clamp.max), 0, &op),
                                 "clamp_nc_s8"));
  auto kernel = std::make_unique<ClampKernel>("clamp_s8_xnnpack", true, op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::xnnpack
