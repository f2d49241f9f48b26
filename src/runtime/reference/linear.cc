#include "runtime/reference/linear.h"

#include <algorithm>

#include "runtime/gemm.h"
#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

class LinearKernel final : public Kernel {
 public:
  LinearKernel(const LinearParams& params, bool has_bias, int thread_count)
      : params_(params), has_bias_(has_bias), scratch_floats_(linear_scratch_floats(thread_count)) {}
  size_t scratch_bytes() const override { return scratch_floats_ * sizeof(float); }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    linear_f32(params_, io.inputs[0], io.inputs[1], has_bias_ ? io.inputs[2] : nullptr, io.outputs[0], io.scratch,
               pool);
  }

 private:
  LinearParams params_;
  bool has_bias_;
  size_t scratch_floats_;
};

}  // namespace

size_t linear_scratch_floats(int thread_count) { return parallel_sgemm_workspace_floats(thread_count); }

void linear_f32(const LinearParams& p, const float* input, const float* weight, const float* bias, float* output,
                float* scratch, ThreadPool* pool) {
  GemmArgs gemm;
  gemm.transpose_b = true;
  gemm.m = p.rows;
  gemm.n = p.out_features;
  gemm.k = p.in_features;
  gemm.a = input;
  gemm.lda = p.in_features;
  gemm.b = weight;
  gemm.ldb = p.in_features;
  gemm.c = output;
  gemm.ldc = p.out_features;
  parallel_sgemm(pool, gemm, scratch);
  // Bias and activation: cheap next to the GEMM (rows * out elements).
  parallel_for(pool, p.rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* row = output + r * p.out_features;
      if (bias != nullptr) {
        for (int64_t o = 0; o < p.out_features; ++o) row[o] += bias[o];
      }
      apply_activation(p.activation, row, static_cast<size_t>(p.out_features));
    }
  });
}

Result<std::unique_ptr<Kernel>> create_linear_kernel(const KernelContext& context) {
  const ir::Node& node = context.node;
  if (context.input_shapes.size() < 2 || context.output_shapes.size() != 1) {
    return invalid_argument("Linear takes x, weight and an optional bias, and has one output");
  }
  const ir::Shape& x = context.input_shapes[0];
  const ir::Shape& w = context.input_shapes[1];
  if (x.size() < 2 || w.size() != 2 || x.back() != w[1]) {
    return invalid_argument("Linear weight ", ir::shape_to_string(w), " does not fit input ", ir::shape_to_string(x));
  }
  LinearParams p;
  p.in_features = w[1];
  p.out_features = w[0];
  p.rows = 1;
  for (size_t d = 0; d + 1 < x.size(); ++d) p.rows *= x[d];
  p.activation = node.fused_activation;
  if (has_input(node, 2) && context.input_shapes[2] != ir::Shape{p.out_features}) {
    return invalid_argument("Linear bias shape ", ir::shape_to_string(context.input_shapes[2]), " is not [",
                            p.out_features, "]");
  }
  ir::Shape expected(x.begin(), x.end() - 1);
  expected.push_back(p.out_features);
  if (context.output_shapes[0] != expected) {
    return invalid_argument("Linear output shape ", ir::shape_to_string(context.output_shapes[0]), " is not ",
                            ir::shape_to_string(expected));
  }
  return std::unique_ptr<Kernel>(std::make_unique<LinearKernel>(p, has_input(node, 2), context.thread_count));
}

}  // namespace gramlite::runtime::reference
