#include "runtime/reference/int8/quantize.h"

#include "gramlite/ir/quantization.h"

namespace gramlite::runtime::reference {
namespace {

struct AffineParams {
  size_t count = 0;
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// The per-tensor parameters of `desc` (an int8 tensor), or an error naming it.
Result<ir::AffineQuant> per_tensor_quant(const TensorDesc& desc, const char* role) {
  if (desc.dtype != ir::DType::kInt8) {
    return unsupported("the ", role, " '", desc.tensor->name, "' is ", ir::dtype_name(desc.dtype), ", not int8");
  }
  if (desc.quant == nullptr || desc.quant->scales.size() != 1) {
    return invalid_argument("the int8 ", role, " '", desc.tensor->name, "' needs one scale (per-tensor quantization)");
  }
  const int32_t zero_point = desc.quant->zero_points.empty() ? 0 : desc.quant->zero_points[0];
  if (!(desc.quant->scales[0] > 0.0f) || zero_point < ir::kInt8Min || zero_point > ir::kInt8Max) {
    return invalid_argument("the int8 ", role, " '", desc.tensor->name, "' has scale ", desc.quant->scales[0],
                            " and zero point ", zero_point, " (need scale > 0, zero point in [-128, 127])");
  }
  return ir::AffineQuant{desc.quant->scales[0], zero_point};
}

Result<AffineParams> plan_quantize(const KernelContext& context) {
  if (context.inputs[0].dtype != ir::DType::kFloat32) return unsupported("Quantize reads float32");
  GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant q, per_tensor_quant(context.outputs[0], "output"));
  return AffineParams{element_count_of(context.inputs[0].shape), q.scale, q.zero_point};
}

Result<AffineParams> plan_dequantize(const KernelContext& context) {
  if (context.outputs[0].dtype != ir::DType::kFloat32) return unsupported("Dequantize writes float32");
  GRAMLITE_ASSIGN_OR_RETURN(const ir::AffineQuant q, per_tensor_quant(context.inputs[0], "input"));
  return AffineParams{element_count_of(context.inputs[0].shape), q.scale, q.zero_point};
}

void run_quantize(const AffineParams& p, const KernelIo& io, ThreadPool* /*pool*/) {
  const float* x = input_f32(io, 0);
  auto* q = static_cast<int8_t*>(io.outputs[0]);
  for (size_t i = 0; i < p.count; ++i) q[i] = static_cast<int8_t>(ir::quantize_value(x[i], p.scale, p.zero_point));
}

void run_dequantize(const AffineParams& p, const KernelIo& io, ThreadPool* /*pool*/) {
  const auto* q = static_cast<const int8_t*>(io.inputs[0]);
  float* x = output_f32(io, 0);
  for (size_t i = 0; i < p.count; ++i) x[i] = ir::dequantize_value(q[i], p.scale, p.zero_point);
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_quantize_kernel(const KernelContext& context) {
  return make_planned_kernel<AffineParams>(context, "quantize_f32_to_s8", plan_quantize, run_quantize);
}

Result<std::unique_ptr<Kernel>> create_dequantize_kernel(const KernelContext& context) {
  return make_planned_kernel<AffineParams>(context, "dequantize_s8_to_f32", plan_dequantize, run_dequantize);
}

}  // namespace gramlite::runtime::reference
