#include "runtime/xnnpack/xnn_kernel.h"

#include <limits>

#include "gramlite/ir/quantization.h"

namespace gramlite::runtime::xnnpack {

Status initialize() {
  static const xnn_status status = xnn_initialize(/*allocator=*/nullptr);
  if (status == xnn_status_success) return Status::Ok();
  return unsupported("XNNPACK does not support this CPU (xnn_initialize returned ", static_cast<int>(status), ")");
}

Status check(xnn_status status, const char* what) {
  if (status == xnn_status_success) return Status::Ok();
  const char* reason = status == xnn_status_invalid_parameter    ? "invalid parameter"
                       : status == xnn_status_unsupported_parameter ? "unsupported parameter"
                       : status == xnn_status_unsupported_hardware  ? "unsupported hardware"
                       : status == xnn_status_out_of_memory         ? "out of memory"
                                                                     : "failed";
  return unsupported("xnnpack: ", what, ": ", reason);
}

Status XnnKernel::reshape(const KernelContext& context) {
  input_count_ = context.inputs.size();
  output_count_ = context.outputs.size();
  bound_ = false;
  return plan(context);
}

void XnnKernel::run(const KernelIo& io, ThreadPool* pool) const {
  const pthreadpool_t threadpool = pthreadpool_of(pool);
  bool same = bound_ && bound_pool_ == threadpool && bound_scratch_ == io.scratch;
  for (size_t i = 0; same && i < input_count_; ++i) same = bound_inputs_[i] == io.inputs[i];
  for (size_t i = 0; same && i < output_count_; ++i) same = bound_outputs_[i] == io.outputs[i];
  if (!same) {
    // The shapes were validated when the operators were created and planned; setup can only fail
    // on them, so a failure here is a bug, not bad input.
    if (setup(io, threadpool) != xnn_status_success) std::abort();
    bound_inputs_.assign(io.inputs, io.inputs + input_count_);
    bound_outputs_.assign(io.outputs, io.outputs + output_count_);
    bound_pool_ = threadpool;
    bound_scratch_ = io.scratch;
    bound_ = true;
  }
  for (const Operator& op : operators_) {
    if (xnn_run_operator(op.get(), threadpool) != xnn_status_success) std::abort();
  }
}

Result<std::pair<float, float>> float_activation_bounds(ir::Activation activation) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (activation) {
    case ir::Activation::kNone: return std::pair<float, float>{-kInf, kInf};
    case ir::Activation::kRelu: return std::pair<float, float>{0.0f, kInf};
    case ir::Activation::kRelu6: return std::pair<float, float>{0.0f, 6.0f};
    default: return unsupported("xnnpack: fused ", ir::activation_name(activation), " is not a clamp");
  }
}

Result<std::pair<int8_t, int8_t>> int8_activation_bounds(ir::Activation activation, float scale, int32_t zero_point) {
  int32_t low = -128;
  int32_t high = 127;
  switch (activation) {
    case ir::Activation::kNone: break;
    case ir::Activation::kRelu: low = std::max(low, zero_point); break;
    case ir::Activation::kRelu6:
      low = std::max(low, zero_point);
      high = std::min(high, ir::quantize_value(6.0f, scale, zero_point));
      break;
    default: return unsupported("xnnpack: fused ", ir::activation_name(activation), " is not a clamp");
  }
  return std::pair<int8_t, int8_t>{static_cast<int8_t>(low), static_cast<int8_t>(high)};
}

Result<TensorQuant> per_tensor_int8(const TensorDesc& desc) {
  if (desc.dtype != ir::DType::kInt8 || desc.quant == nullptr || desc.quant->scales.size() != 1 ||
      desc.quant->zero_points.size() != 1) {
    return unsupported("xnnpack: tensor '", desc.tensor != nullptr ? desc.tensor->name : std::string("?"),
                       "' is not int8 with one scale and zero point");
  }
  const int32_t zero_point = desc.quant->zero_points[0];
  if (zero_point < -128 || zero_point > 127) return unsupported("xnnpack: zero point out of int8 range");
  return TensorQuant{desc.quant->scales[0], static_cast<int8_t>(zero_point)};
}

}  // namespace gramlite::runtime::xnnpack
