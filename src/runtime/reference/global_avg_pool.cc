#include "runtime/reference/global_avg_pool.h"

namespace gramlite::runtime::reference {
namespace {

class GlobalAvgPoolKernel final : public Kernel {
 public:
  GlobalAvgPoolKernel(int64_t planes, int64_t plane_size) : planes_(planes), plane_size_(plane_size) {}
  void run(const KernelIo& io, ThreadPool* pool) const override {
    global_avg_pool_f32(io.inputs[0], io.outputs[0], planes_, plane_size_, pool);
  }

 private:
  int64_t planes_, plane_size_;
};

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
  if (context.input_shapes.size() != 1 || context.output_shapes.size() != 1 || context.input_shapes[0].size() != 4) {
    return invalid_argument("GlobalAvgPool takes one rank-4 input");
  }
  const ir::Shape& x = context.input_shapes[0];
  if (context.output_shapes[0] != ir::Shape{x[0], x[1], 1, 1}) {
    return invalid_argument("GlobalAvgPool output shape ", ir::shape_to_string(context.output_shapes[0]), " is not [",
                            x[0], ", ", x[1], ", 1, 1]");
  }
  return std::unique_ptr<Kernel>(std::make_unique<GlobalAvgPoolKernel>(x[0] * x[1], x[2] * x[3]));
}

}  // namespace gramlite::runtime::reference
