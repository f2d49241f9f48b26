#include "runtime/reference/global_avg_pool.h"

namespace gramlite::runtime::reference {
namespace {

struct GlobalAvgPoolParams {
  int64_t planes = 0;
  int64_t plane_size = 0;
};

Result<GlobalAvgPoolParams> plan_global_avg_pool(const KernelContext& context) {
  if (context.inputs.size() != 1 || context.outputs.size() != 1 || context.inputs[0].shape.size() != 4) {
    return invalid_argument("GlobalAvgPool takes one rank-4 input");
  }
  const ir::Shape& x = context.inputs[0].shape;
  if (context.outputs[0].shape != ir::Shape{x[0], x[1], 1, 1}) {
    return invalid_argument("GlobalAvgPool output shape ", ir::shape_to_string(context.outputs[0].shape), " is not [",
                            x[0], ", ", x[1], ", 1, 1]");
  }
  return GlobalAvgPoolParams{x[0] * x[1], x[2] * x[3]};
}

void run_global_avg_pool(const GlobalAvgPoolParams& p, const KernelIo& io, ThreadPool* pool) {
  global_avg_pool_f32(input_f32(io, 0), output_f32(io, 0), p.planes, p.plane_size, pool);
}

}  // namespace

void global_avg_pool_f32(const float* input, float* output, int64_t planes, int64_t plane_size, ThreadPool* pool) {
  const float divisor = static_cast<float>(plane_size);
  parallel_for(pool, planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * plane_size;
      float sum = 0.0f;
      for (int64_t i = 0; i < plane_size; ++i) sum += x[i];
      output[plane] = plane_size > 0 ? sum / divisor : 0.0f;
    }
  });
}

Result<std::unique_ptr<Kernel>> create_global_avg_pool_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<GlobalAvgPoolParams>(context, "global_avg_pool_f32", plan_global_avg_pool,
                                                  run_global_avg_pool);
}

}  // namespace gramlite::runtime::reference
