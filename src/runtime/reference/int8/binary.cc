#include "runtime/reference/int8/binary.h"

#include <algorithm>

#include "runtime/reference/int8/broadcast.h"
#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::reference {
namespace {

// Bits each Add input is shifted left before rescaling, so that rescaling both to a common scale
// loses (almost) nothing: |a - z_a| <= 255 leaves 2^31 / (255 * 2^20) > 8x headroom.
constexpr int kAddLeftShift = 20;

struct BinaryS8Plan {
  BroadcastPlan broadcast;
  bool mul = false;
  ir::AffineQuant a, b, y;
  ir::FixedPointMultiplier a_multiplier, b_multiplier;  // Add: each input to the common scale
  ir::FixedPointMultiplier out_multiplier;              // Add: common scale -> y
  ir::FixedPointMultiplier mul_multiplier;                 // Mul: s_a s_b / s_y
  ir::Int8Clamp clamp;
};

Result<BinaryS8Plan> plan_binary_s8(const KernelContext& context) {
  const char* op = ir::op_kind_name(context.node.kind);
  if (context.inputs.size() != 2 || context.outputs.size() != 1) {
    return invalid_argument(op, " takes two inputs and has one output");
  }
  BinaryS8Plan plan;
  plan.mul = context.node.kind == ir::OpKind::kMul;
  GRAMLITE_ASSIGN_OR_RETURN(plan.a, int8::activation_quant(context.inputs[0], "first input"));
  GRAMLITE_ASSIGN_OR_RETURN(plan.b, int8::activation_quant(context.inputs[1], "second input"));
  GRAMLITE_ASSIGN_OR_RETURN(plan.y, int8::activation_quant(context.outputs[0], "output"));
  GRAMLITE_ASSIGN_OR_RETURN(plan.clamp, int8::fused_clamp(context.node, plan.y));
  const ir::Shape& a = context.inputs[0].shape;
  const ir::Shape& b = context.inputs[1].shape;
  GRAMLITE_ASSIGN_OR_RETURN(const ir::Shape out, broadcast_shape(a, b));
  if (out != context.outputs[0].shape) {
    return invalid_argument(op, " output shape ", ir::shape_to_string(context.outputs[0].shape),
                            " is not the broadcast shape ", ir::shape_to_string(out));
  }
  GRAMLITE_ASSIGN_OR_RETURN(plan.broadcast, plan_broadcast_general(a, b));
  const double sa = plan.a.scale, sb = plan.b.scale, sy = plan.y.scale;
  if (plan.mul) {
    plan.mul_multiplier = ir::quantize_multiplier(sa * sb / sy);
  } else {
    const double twice_max = 2.0 * std::max(sa, sb);
    plan.a_multiplier = ir::quantize_multiplier(sa / twice_max);
    plan.b_multiplier = ir::quantize_multiplier(sb / twice_max);
    plan.out_multiplier = ir::quantize_multiplier(twice_max / (double{1 << kAddLeftShift} * sy));
  }
  return plan;
}

void run_binary_s8(const BinaryS8Plan& p, const KernelIo& io, ThreadPool* pool) {
  const int8_t* a = int8::input_s8(io, 0);
  const int8_t* b = int8::input_s8(io, 1);
  int8_t* y = int8::output_s8(io, 0);
  if (p.mul) {
    int8::for_each_broadcast(p.broadcast, pool, [&](int64_t o, int64_t ia, int64_t ib) {
      const int32_t product = (a[ia] - p.a.zero_point) * (b[ib] - p.b.zero_point);
      y[o] = static_cast<int8_t>(int8::requantize_small(product, p.mul_multiplier, p.y.zero_point, p.clamp));
    });
    return;
  }
  int8::for_each_broadcast(p.broadcast, pool, [&](int64_t o, int64_t ia, int64_t ib) {
    const int32_t sa = ir::multiply_by_fixed_point((a[ia] - p.a.zero_point) * (1 << kAddLeftShift), p.a_multiplier);
    const int32_t sb = ir::multiply_by_fixed_point((b[ib] - p.b.zero_point) * (1 << kAddLeftShift), p.b_multiplier);
    y[o] = static_cast<int8_t>(ir::requantize(sa + sb, p.out_multiplier, p.y.zero_point, p.clamp.min, p.clamp.max));
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_binary_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<BinaryS8Plan>(context, snake_case_op_name(context.node.kind) + "_s8_indexed",
                                           plan_binary_s8, run_binary_s8);
}

}  // namespace gramlite::runtime::reference
