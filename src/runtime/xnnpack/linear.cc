// Linear float32 on XNNPACK's fully-connected operator (weights [out, in], as the IR stores them).
#include "runtime/xnnpack/ops.h"
#include "runtime/xnnpack/xnn_kernel.h"

namespace gramlite::runtime::xnnpack {
namespace {

class LinearKernel final : public XnnKernel {
 public:
  explicit LinearKernel(xnn_operator_t op) : XnnKernel("linear_f32_xnnpack") { operators_.emplace_back(op); }

 protected:
  Status plan(const KernelContext& context) override {
    batch_ = static_cast<size_t>(context.inputs[0].shape[0]);
    return Status::Ok();
  }
  xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const override {
    return xnn_setup_fully_connected_nc_f32(operators_[0].get(), batch_, static_cast<const float*>(io.inputs[0]),
                                            static_cast<float*>(io.outputs[0]), threadpool);
  }

 private:
  size_t batch_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_linear_f32(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(initialize());
  if (context.inputs[0].shape.size() != 2) return unsupported("xnnpack: Linear input is not 2-D");
  const float* weight = constant_floats(context, 1);
  if (weight == nullptr) return unsupported("xnnpack: Linear weight is not a float32 constant");
  const float* bias = constant_floats(context, 2);
  if (has_input(context.node, 2) && bias == nullptr) return unsupported("xnnpack: Linear bias is not a constant");
  GRAMLITE_ASSIGN_OR_RETURN(auto bounds, float_activation_bounds(context.node.fused_activation));
  const auto out = static_cast<size_t>(context.inputs[1].shape[0]);
  const auto in = static_cast<size_t>(context.inputs[1].shape[1]);
  xnn_operator_t op = nullptr;
  GRAMLITE_RETURN_IF_ERROR(check(
      xnn_create_fully_connected_nc_f32(in, out, in, out, weight, bias, bounds.first, bounds.second, 0, &op),
      "fully_connected_nc_f32"));
  auto kernel = std::make_unique<LinearKernel>(op);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::xnnpack
