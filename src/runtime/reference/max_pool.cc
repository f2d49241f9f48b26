#include "runtime/reference/max_pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gramlite::runtime::reference {
namespace {

class MaxPoolKernel final : public Kernel {
 public:
  explicit MaxPoolKernel(const Pool2dParams& params) : params_(params) {}
  void run(const KernelIo& io, ThreadPool* pool) const override {
    max_pool2d_f32(params_, io.inputs[0], io.outputs[0], pool);
  }

 private:
  Pool2dParams params_;
};

}  // namespace

void max_pool2d_f32(const Pool2dParams& p, const float* input, float* output, ThreadPool* pool) {
  const ir::Pool2dAttrs& a = p.attrs;
  parallel_for(pool, p.batch * p.channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * p.in_h * p.in_w;
      float* y = output + plane * p.out_h * p.out_w;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        const int64_t h0 = oh * a.stride_h - a.padding.top;
        const int64_t h_begin = std::max<int64_t>(h0, 0);
        const int64_t h_end = std::min<int64_t>(h0 + a.kernel_h, p.in_h);
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t w0 = ow * a.stride_w - a.padding.left;
          const int64_t w_begin = std::max<int64_t>(w0, 0);
          const int64_t w_end = std::min<int64_t>(w0 + a.kernel_w, p.in_w);
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t ih = h_begin; ih < h_end; ++ih) {
            for (int64_t iw = w_begin; iw < w_end; ++iw) {
              const float v = x[ih * p.in_w + iw];
              if (v > best || std::isnan(v)) best = v;
            }
          }
          y[oh * p.out_w + ow] = best;
        }
      }
    }
  });
}

Result<std::unique_ptr<Kernel>> create_max_pool_kernel(const KernelContext& context) {
  GRAMLITE_ASSIGN_OR_RETURN(Pool2dParams params, make_pool2d_params(context));
  return std::unique_ptr<Kernel>(std::make_unique<MaxPoolKernel>(params));
}

}  // namespace gramlite::runtime::reference
