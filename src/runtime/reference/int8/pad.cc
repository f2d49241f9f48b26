#include "runtime/reference/int8/pad.h"

#include "runtime/reference/int8/int8_common.h"
#include "runtime/reference/pad.h"

namespace gramlite::runtime::reference {
namespace {

struct PadS8Plan {
  PadParams geometry;
  int8_t value = 0;
  int64_t out_count = 0;
};

Result<PadS8Plan> plan_pad_s8(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  GRAMLITE_ASSIGN_OR_RETURN(const int8::InOutQuant q, int8::unary_quant(context));
  if (!int8::same_quant(q.in, q.out)) {
    return invalid_argument("Pad output '", context.outputs[0].tensor->name, "' has scale ", q.out.scale,
                            " and zero point ", q.out.zero_point, "; an int8 Pad keeps its input's (", q.in.scale,
                            ", ", q.in.zero_point, ")");
  }
  const ir::PadAttrs& a = context.node.attr<ir::PadAttrs>();
  PadS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.geometry, make_pad_params(context.inputs[0].shape, a.pads, a.value));
  const ir::Shape expected(plan.geometry.out_dims, plan.geometry.out_dims + plan.geometry.rank);
  if (context.outputs[0].shape != expected) {
    return invalid_argument("Pad output shape ", ir::shape_to_string(context.outputs[0].shape), " is not ",
                            ir::shape_to_string(expected));
  }
  plan.value = static_cast<int8_t>(ir::quantize_value(a.value, q.out.scale, q.out.zero_point));
  plan.out_count = ir::element_count(expected);
  return plan;
}

// One output element at a time: its input index, if inside the input, else the pad value.
void run_pad_s8(const PadS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const PadParams& p = plan.geometry;
  const int8_t* x = int8::input_s8(io, 0);
  int8_t* y = int8::output_s8(io, 0);
  parallel_for(pool, plan.out_count, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      int64_t rest = o, in_index = 0, in_stride = 1;
      bool inside = true;
      for (int d = p.rank - 1; d >= 0; --d) {
        const int64_t i = rest % p.out_dims[d] - p.begins[d];
        rest /= p.out_dims[d];
        inside = inside && i >= 0 && i < p.in_dims[d];
        in_index += i * in_stride;
        in_stride *= p.in_dims[d];
      }
      y[o] = inside ? x[in_index] : plan.value;
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_pad_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<PadS8Plan>(context, "pad_s8", plan_pad_s8, run_pad_s8);
}

}  // namespace gramlite::runtime::reference
