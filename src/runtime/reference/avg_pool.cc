#include "runtime/reference/avg_pool.h"

#include <algorithm>

namespace gramlite::runtime::reference {
namespace {

void run_avg_pool(const Pool2dParams& p, const KernelIo& io, ThreadPool* pool) {
  avg_pool2d_f32(p, input_f32(io, 0), output_f32(io, 0), pool);
}

}  // namespace

void avg_pool2d_f32(const Pool2dParams& p, const float* input, float* output, ThreadPool* pool) {
  const ir::Pool2dAttrs& a = p.attrs;
  parallel_for(pool, p.batch * p.channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * p.in_h * p.in_w;
      float* y = output + plane * p.out_h * p.out_w;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        const int64_t h0 = oh * a.stride_h - a.padding.top;
        const int64_t h_padded_end = std::min<int64_t>(h0 + a.kernel_h, p.in_h + a.padding.bottom);
        const int64_t h_begin = std::max<int64_t>(h0, 0);
        const int64_t h_end = std::min<int64_t>(h_padded_end, p.in_h);
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t w0 = ow * a.stride_w - a.padding.left;
          const int64_t w_padded_end = std::min<int64_t>(w0 + a.kernel_w, p.in_w + a.padding.right);
          const int64_t w_begin = std::max<int64_t>(w0, 0);
          const int64_t w_end = std::min<int64_t>(w_padded_end, p.in_w);
          float& out = y[oh * p.out_w + ow];
          if (h_begin >= h_end || w_begin >= w_end) {
            out = 0.0f;
            continue;
          }
          float sum = 0.0f;
          for (int64_t ih = h_begin; ih < h_end; ++ih) {
            for (int64_t iw = w_begin; iw < w_end; ++iw) sum += x[ih * p.in_w + iw];
          }
          const int64_t divisor =
              a.count_include_pad ? (h_padded_end - h0) * (w_padded_end - w0) : (h_end - h_begin) * (w_end - w_begin);
          out = sum / static_cast<float>(divisor);
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
