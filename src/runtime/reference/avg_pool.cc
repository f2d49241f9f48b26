#include "runtime/reference/avg_pool.h"

#include <algorithm>

namespace gramlite::runtime::reference {
namespace {

void run_avg_pool(const Pool2dParams& p, const KernelIo& io, ThreadPool* pool) {
  avg_pool2d_f32(p, input_f32(io, 0), output_f32(io, 0), pool);
}

}  // namespace

void avg_pool2d_f32(const Pool2dParams& p, const float* input, float* output, ThreadPool* pool) {
  parallel_for(pool, p.batch * p.channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * p.in_h * p.in_w;
      float* y = output + plane * p.out_h * p.out_w;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const AvgPoolWindow window = avg_pool_window(p, oh, ow);
          float& out = y[oh * p.out_w + ow];
          if (window.empty()) {
            out = 0.0f;
            continue;
          }
          float sum = 0.0f;
          for (int64_t ih = window.h_begin; ih < window.h_end; ++ih) {
            for (int64_t iw = window.w_begin; iw < window.w_end; ++iw) sum += x[ih * p.in_w + iw];
          }
          out = sum / static_cast<float>(window.divisor);
        }
      }
    }
  });
}

Result<std::unique_ptr<Kernel>> create_avg_pool_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<Pool2dParams>(context, "avg_pool_f32", make_pool2d_params, run_avg_pool);
}

}  // namespace gramlite::runtime::reference
