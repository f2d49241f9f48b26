#include "runtime/reference/int8/linear.h"

#include <algorithm>
#include <limits>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/reference/linear.h"

namespace gramlite::runtime::reference {
namespace {

struct LinearS8Plan {
  LinearParams shape;
  int8::WeightLayerQuant q;
};

Result<LinearS8Plan> plan_linear_s8(const KernelContext& context) {
  LinearS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.shape, plan_linear(context));
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::plan_weight_layer_quant(context, plan.shape.out_features));
  return plan;
}

void run_linear_s8(const LinearS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const LinearParams& p = plan.shape;
  const int8_t* input = int8::input_s8(io, 0);
  const int8_t* weight = int8::input_s8(io, 1);
  const auto* bias = plan.q.has_bias ? static_cast<const int32_t*>(io.inputs[2]) : nullptr;
  int8_t* output = int8::output_s8(io, 0);
  const int32_t zx = plan.q.x.zero_point;
  parallel_for(pool, p.rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t o = 0; o < p.out_features; ++o) {
        int64_t acc = bias != nullptr ? bias[o] : 0;  // int64, saturated to int32 as in Conv2d
        for (int64_t i = 0; i < p.in_features; ++i) {
          acc += static_cast<int64_t>(input[r * p.in_features + i] - zx) * weight[o * p.in_features + i];
        }
        const int32_t acc32 = int8::saturate_to_int32(acc);
        output[r * p.out_features + o] = static_cast<int8_t>(ir::requantize(
            acc32, plan.q.multipliers[static_cast<size_t>(o)], plan.q.y.zero_point, plan.q.clamp.min, plan.q.clamp.max));
      }
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_linear_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<LinearS8Plan>(context, "linear_s8_direct", plan_linear_s8, run_linear_s8);
}

}  // namespace gramlite::runtime::reference
