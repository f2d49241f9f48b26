#include "runtime/reference/int8/conv2d.h"

#include <algorithm>
#include <limits>

#include "runtime/reference/conv2d.h"
#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::reference {
namespace {

struct Conv2dS8Plan {
  Conv2dParams geometry;
  int8::WeightLayerQuant q;
};

Result<Conv2dS8Plan> plan_conv2d_s8(const KernelContext& context) {
  Conv2dS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.geometry, plan_conv2d(context));
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::plan_weight_layer_quant(context, plan.geometry.out_channels));
  return plan;
}

void run_conv2d_s8(const Conv2dS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const Conv2dParams& p = plan.geometry;
  const ir::Conv2dAttrs& a = p.attrs;
  const int8_t* input = int8::input_s8(io, 0);
  const int8_t* weight = int8::input_s8(io, 1);
  const auto* bias = plan.q.has_bias ? static_cast<const int32_t*>(io.inputs[2]) : nullptr;
  int8_t* output = int8::output_s8(io, 0);
  const int32_t zx = plan.q.x.zero_point;
  const int64_t group_in = p.in_channels / a.groups;
  const int64_t group_out = p.out_channels / a.groups;
  parallel_for(pool, p.batch * p.out_channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t n = plane / p.out_channels;
      const int64_t o = plane % p.out_channels;
      const int64_t g = o / group_out;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          // int64 so that no shape can overflow here; saturated to int32 below (the zoo's layers
          // stay far inside int32: 255 * 127 * C * kH * kW). Padding reads z_x: (z_x - z_x) * w
          // adds nothing, so the loops visit only the window positions inside the input.
          int64_t acc = bias != nullptr ? bias[o] : 0;
          const int64_t h0 = oh * a.stride_h - a.padding.top;
          const int64_t w0 = ow * a.stride_w - a.padding.left;
          for (int64_t c = 0; c < group_in; ++c) {
            const int8_t* x = input + (n * p.in_channels + g * group_in + c) * p.in_h * p.in_w;
            const int8_t* wc = weight + (o * group_in + c) * a.kernel_h * a.kernel_w;
            for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
              const int64_t ih = h0 + kh * a.dilation_h;
              if (ih < 0 || ih >= p.in_h) continue;
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t iw = w0 + kw * a.dilation_w;
                if (iw < 0 || iw >= p.in_w) continue;
                acc += static_cast<int64_t>(x[ih * p.in_w + iw] - zx) * wc[kh * a.kernel_w + kw];
              }
            }
          }
          const auto acc32 = static_cast<int32_t>(std::clamp<int64_t>(acc, std::numeric_limits<int32_t>::min(),
                                                                      std::numeric_limits<int32_t>::max()));
          output[((n * p.out_channels + o) * p.out_h + oh) * p.out_w + ow] = static_cast<int8_t>(
              ir::requantize(acc32, plan.q.multipliers[static_cast<size_t>(o)], plan.q.y.zero_point, plan.q.clamp.min,
                             plan.q.clamp.max));
        }
      }
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<Conv2dS8Plan>(context, "conv2d_s8_direct", plan_conv2d_s8, run_conv2d_s8);
}

}  // namespace gramlite::runtime::reference
