#include "runtime/reference/linear.h"

#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

struct LinearPlan {
  LinearParams params;
  bool has_bias = false;
};

Result<LinearPlan> plan_reference_linear(const KernelContext& context) {
  GRAMLITE_ASSIGN_OR_RETURN(LinearParams params, plan_linear(context));
  return LinearPlan{params, has_input(context.node, 2)};
}

void run_linear(const LinearPlan& plan, const KernelIo& io, ThreadPool* pool) {
  linear_f32(plan.params, input_f32(io, 0), input_f32(io, 1), plan.has_bias ? input_f32(io, 2) : nullptr,
             output_f32(io, 0), pool);
}

}  // namespace

void linear_f32(const LinearParams& p, const float* input, const float* weight, const float* bias, float* output,
                ThreadPool* pool) {
  parallel_for(pool, p.rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t o = 0; o < p.out_features; ++o) {
        double sum = bias != nullptr ? bias[o] : 0.0;
        for (int64_t i = 0; i < p.in_features; ++i) {
          sum += static_cast<double>(input[r * p.in_features + i]) * weight[o * p.in_features + i];
        }
        output[r * p.out_features + o] = apply_activation(p.activation, static_cast<float>(sum));
      }
    }
  });
}

Result<LinearParams> plan_linear(const KernelContext& context) {
  const ir::Node& node = context.node;
  if (context.inputs.size() < 2 || context.outputs.size() != 1) {
    return invalid_argument("Linear takes x, weight and an optional bias, and has one output");
  }
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& w = context.inputs[1].shape;
  if (x.size() < 2 || w.size() != 2 || x.back() != w[1]) {
    return invalid_argument("Linear weight ", ir::shape_to_string(w), " does not fit input ", ir::shape_to_string(x));
  }
  LinearParams p;
  p.in_features = w[1];
  p.out_features = w[0];
  p.rows = 1;
  for (size_t d = 0; d + 1 < x.size(); ++d) p.rows *= x[d];
  p.activation = node.fused_activation;
  if (has_input(node, 2) && context.inputs[2].shape != ir::Shape{p.out_features}) {
    return invalid_argument("Linear bias shape ", ir::shape_to_string(context.inputs[2].shape), " is not [",
                            p.out_features, "]");
  }
  ir::Shape expected(x.begin(), x.end() - 1);
  expected.push_back(p.out_features);
  if (context.outputs[0].shape != expected) {
    return invalid_argument("Linear output shape ", ir::shape_to_string(context.outputs[0].shape), " is not ",
                            ir::shape_to_string(expected));
  }
  return p;
}

Result<std::unique_ptr<Kernel>> create_linear_kernel(const KernelContext& context) {
  return make_planned_kernel<LinearPlan>(context, "linear_f32_direct", plan_reference_linear, run_linear);
}

}  // namespace gramlite::runtime::reference
