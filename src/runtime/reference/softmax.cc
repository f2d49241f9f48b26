#include "runtime/reference/softmax.h"

#include <cmath>

namespace gramlite::runtime::reference {
namespace {

struct SoftmaxParams {
  int64_t outer = 0, length = 0, inner = 0;
};

Result<SoftmaxParams> plan_softmax(const KernelContext& context) {
  if (context.inputs.size() != 1 || context.outputs.size() != 1 ||
      context.inputs[0].shape != context.outputs[0].shape || context.inputs[0].shape.empty()) {
    return invalid_argument("Softmax takes one input of rank >= 1 and keeps its shape");
  }
  const ir::Shape& x = context.inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  int64_t axis = context.node.attr<ir::SoftmaxAttrs>().axis;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return invalid_argument("Softmax axis ", context.node.attr<ir::SoftmaxAttrs>().axis, " is out of range for rank ",
                            rank);
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x[static_cast<size_t>(d)];
  return SoftmaxParams{outer, x[static_cast<size_t>(axis)], inner};
}

void run_softmax(const SoftmaxParams& p, const KernelIo& io, ThreadPool* pool) {
  softmax_f32(input_f32(io, 0), output_f32(io, 0), p.outer, p.length, p.inner, pool);
}

}  // namespace

void softmax_f32(const float* input, float* output, int64_t outer, int64_t length, int64_t inner, ThreadPool* pool) {
  // One work item per (outer, inner) line; the elements of a line are `inner` apart.
  parallel_for(pool, outer * inner, [&](int64_t begin, int64_t end) {
    for (int64_t line = begin; line < end; ++line) {
      const int64_t offset = (line / inner) * length * inner + line % inner;
      const float* x = input + offset;
      float* y = output + offset;
      float max_value = -INFINITY;
      for (int64_t i = 0; i < length; ++i) max_value = std::fmax(max_value, x[i * inner]);
      float sum = 0.0f;
      for (int64_t i = 0; i < length; ++i) {
        const float e = std::exp(x[i * inner] - max_value);
        y[i * inner] = e;
        sum += e;
      }
      const float scale = 1.0f / sum;
      for (int64_t i = 0; i < length; ++i) y[i * inner] *= scale;
    }
  });
}

Result<std::unique_ptr<Kernel>> create_softmax_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<SoftmaxParams>(context, "softmax_f32", plan_softmax, run_softmax);
}

}  // namespace gramlite::runtime::reference
