#include "runtime/reference/batch_norm.h"

#include <cmath>
#include <vector>

#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(int64_t outer, int64_t channels, int64_t inner, std::vector<float> scale, std::vector<float> shift,
                  ir::Activation activation)
      : outer_(outer),
        channels_(channels),
        inner_(inner),
        scale_(std::move(scale)),
        shift_(std::move(shift)),
        activation_(activation) {}
  size_t packed_weight_bytes() const override { return (scale_.size() + shift_.size()) * sizeof(float); }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    batch_norm_f32(io.inputs[0], io.outputs[0], outer_, channels_, inner_, scale_.data(), shift_.data(), activation_,
                   pool);
  }

 private:
  int64_t outer_, channels_, inner_;
  std::vector<float> scale_, shift_;
  ir::Activation activation_;
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
  const ir::Shape& x = context.input_shapes.empty() ? ir::Shape{} : context.input_shapes[0];
  if (context.input_shapes.size() != 5 || x.size() < 2) {
    return invalid_argument("BatchNorm takes x [N, C, ...] and four [C] vectors");
  }
  const int64_t channels = x[1];
  const float* params[4];
  for (size_t i = 1; i < 5; ++i) {
    if (context.input_shapes[i] != ir::Shape{channels}) {
      return invalid_argument("BatchNorm input ", i, " has shape ", ir::shape_to_string(context.input_shapes[i]),
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
  int64_t inner = 1;
  for (size_t d = 2; d < x.size(); ++d) inner *= x[d];
  return std::unique_ptr<Kernel>(std::make_unique<BatchNormKernel>(x[0], channels, inner, std::move(scale),
                                                                   std::move(shift), context.node.fused_activation));
}

}  // namespace gramlite::runtime::reference
