#include "runtime/portable/linear.h"

#include <algorithm>

#include "runtime/gemm.h"
#include "runtime/reference/activation.h"

namespace gramlite::runtime::portable {

using reference::apply_activation;
namespace {

class LinearKernel final : public Kernel {
 public:
  explicit LinearKernel(bool has_bias) : has_bias_(has_bias) {}
  const char* name() const override { return "linear_f32_gemm"; }
  Status reshape(const KernelContext& context) override {
    GRAMLITE_ASSIGN_OR_RETURN(params_, reference::plan_linear(context));
    scratch_floats_ = linear_scratch_floats(context.thread_count);
    return Status::Ok();
  }
  size_t scratch_bytes() const override { return scratch_floats_ * sizeof(float); }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    linear_f32(params_, input_f32(io, 0), input_f32(io, 1), has_bias_ ? input_f32(io, 2) : nullptr, output_f32(io, 0),
               scratch_f32(io), pool);
  }

 private:
  bool has_bias_;
  LinearParams params_;
  size_t scratch_floats_ = 0;
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
  GRAMLITE_RETURN_IF_ERROR(reference::plan_linear(context).status());
  return std::unique_ptr<Kernel>(std::make_unique<LinearKernel>(has_input(context.node, 2)));
}

}  // namespace gramlite::runtime::portable
