#include "runtime/reference/batch_norm.h"

#include <cmath>
#include <vector>

#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

// Scale and shift are folded from the four constant vectors once, at creation (the kernel's
// packed weights); reshape only recomputes the plane counts.
class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(int64_t channels, std::vector<float> scale, std::vector<float> shift, ir::Activation activation)
      : channels_(channels), scale_(std::move(scale)), shift_(std::move(shift)), activation_(activation) {}
  const char* name() const override { return "batch_norm_f32"; }
  Status reshape(const KernelContext& context) override {
    const ir::Shape& x = context.inputs[0].shape;
    if (x.size() < 2 || x[1] != channels_ || context.outputs.size() != 1 || context.outputs[0].shape != x) {
      return invalid_argument("BatchNorm input ", ir::shape_to_string(x), " does not fit its ", channels_,
                              " channels");
    }
    outer_ = x[0];
    inner_ = 1;
    for (size_t d = 2; d < x.size(); ++d) inner_ *= x[d];
    return Status::Ok();
  }
  size_t packed_weight_bytes() const override { return (scale_.size() + shift_.size()) * sizeof(float); }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    batch_norm_f32(input_f32(io, 0), output_f32(io, 0), outer_, channels_, inner_, scale_.data(), shift_.data(),
                   activation_, pool);
  }

 private:
  int64_t channels_;
  std::vector<float> scale_, shift_;
  ir::Activation activation_;
  int64_t outer_ = 0, inner_ = 0;
};

}  // namespace

void batch_norm_scale_shift(const float* gamma, const float* beta, const float* mean, const float* variance,
                            float epsilon, int64_t channels, float* scale, float* shift) {
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = gamma[c] / std::sqrt(variance[c] + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
}

void batch_norm_f32(const float* x, float* y, int64_t outer, int64_t channels, int64_t inner, const float* scale,
                    const float* shift, ir::Activation activation, ThreadPool* pool) {
  parallel_for(pool, outer * channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % channels;
      const float s = scale[c];
      const float b = shift[c];
      const float* in = x + plane * inner;
      float* out = y + plane * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = in[i] * s + b;
      apply_activation(activation, out, static_cast<size_t>(inner));
    }
  });
}

Result<std::unique_ptr<Kernel>> create_batch_norm_kernel(const KernelContext& context) {
  const ir::Shape& x = context.inputs.empty() ? ir::Shape{} : context.inputs[0].shape;
  if (context.inputs.size() != 5 || x.size() < 2) {
    return invalid_argument("BatchNorm takes x [N, C, ...] and four [C] vectors");
  }
  const int64_t channels = x[1];
  const float* params[4];
  for (size_t i = 1; i < 5; ++i) {
    if (context.inputs[i].shape != ir::Shape{channels}) {
      return invalid_argument("BatchNorm input ", i, " has shape ", ir::shape_to_string(context.inputs[i].shape),
                              ", expected [", channels, "]");
    }
    params[i - 1] = constant_floats(context, i);
    if (params[i - 1] == nullptr) {
      return unsupported("BatchNorm input ", i, " must be a float32 constant in the reference runtime");
    }
  }
  std::vector<float> scale(static_cast<size_t>(channels)), shift(static_cast<size_t>(channels));
  batch_norm_scale_shift(params[0], params[1], params[2], params[3], context.node.attr<ir::BatchNormAttrs>().epsilon,
                         channels, scale.data(), shift.data());
  return std::unique_ptr<Kernel>(
      std::make_unique<BatchNormKernel>(channels, std::move(scale), std::move(shift), context.node.fused_activation));
}

}  // namespace gramlite::runtime::reference
