#include "runtime/reference/int8/concat.h"

#include <cstring>

#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::reference {
namespace {

struct ConcatInput {
  int64_t row_length = 0;  // dim_axis * inner
  ir::AffineQuant quant;
  bool copy = true;  // same params as the output
  ir::FixedPointMultiplier multiplier;
};

struct ConcatS8Plan {
  std::vector<ConcatInput> inputs;
  int64_t outer = 0;
  int64_t out_row = 0;
  ir::AffineQuant out;
};

Result<ConcatS8Plan> plan_concat_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  if (context.inputs.empty() || context.outputs.size() != 1) {
    return invalid_argument("Concat takes at least one input and has one output");
  }
  ConcatS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.out, int8::activation_quant(context.outputs[0], "output"));
  const ir::Shape& out = context.outputs[0].shape;
  const auto rank = static_cast<int64_t>(out.size());
  int64_t axis = context.node.attr<ir::ConcatAttrs>().axis;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_argument("Concat axis is out of range for rank ", rank);
  int64_t inner = 1;
  plan.outer = 1;
  for (int64_t d = 0; d < axis; ++d) plan.outer *= out[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= out[static_cast<size_t>(d)];
  int64_t total = 0;
  for (const TensorDesc& desc : context.inputs) {
    ConcatInput input;
    GRAMLITE_ASSIGN_OR_RETURN(input.quant, int8::activation_quant(desc, "input"));
    const ir::Shape& in = desc.shape;
    if (static_cast<int64_t>(in.size()) != rank) return invalid_argument("Concat inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && in[static_cast<size_t>(d)] != out[static_cast<size_t>(d)]) {
        return invalid_argument("Concat input ", ir::shape_to_string(in), " does not match output ",
                                ir::shape_to_string(out), " outside axis ", axis);
      }
    }
    input.row_length = in[static_cast<size_t>(axis)] * inner;
    input.copy = int8::same_quant(input.quant, plan.out);
    input.multiplier = int8::rescale_multiplier(input.quant, plan.out);
    total += in[static_cast<size_t>(axis)];
    plan.out_row += input.row_length;
    plan.inputs.push_back(input);
  }
  if (total != out[static_cast<size_t>(axis)]) return invalid_argument("Concat output dim does not sum the inputs'");
  return plan;
}

void run_concat_s8(const ConcatS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  int8_t* output = int8::output_s8(io, 0);
  parallel_for(pool, plan.outer, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      int8_t* dst = output + o * plan.out_row;
      for (size_t i = 0; i < plan.inputs.size(); ++i) {
        const ConcatInput& in = plan.inputs[i];
        const int8_t* src = int8::input_s8(io, i) + o * in.row_length;
        if (in.copy) {
          if (in.row_length > 0) std::memcpy(dst, src, static_cast<size_t>(in.row_length));
        } else {
          for (int64_t k = 0; k < in.row_length; ++k) dst[k] = int8::rescale(src[k], in.quant, in.multiplier, plan.out);
        }
        dst += in.row_length;
      }
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_concat_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<ConcatS8Plan>(context, "concat_s8", plan_concat_s8, run_concat_s8);
}

}  // namespace gramlite::runtime::reference
