#include "runtime/reference/int8/pool.h"

#include <algorithm>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/reference/pool2d.h"

namespace gramlite::runtime::reference {
namespace {

struct PoolS8Plan {
  Pool2dParams geometry;
  int8::InOutQuant q;
  // MaxPool: s_x / s_y. AvgPool: s_x / (d s_y) at index d. GlobalAvgPool: one entry, d = H * W.
  std::vector<ir::FixedPointMultiplier> multipliers;
  bool rescale = false;  // MaxPool: y's params differ from x's
  int64_t planes = 0, plane_size = 0;  // GlobalAvgPool
};

Result<PoolS8Plan> plan_max_pool_s8(const KernelContext& context) {
  PoolS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::unary_quant(context));
  GRAMLITE_ASSIGN_OR_RETURN(plan.geometry, make_pool2d_params(context));
  plan.rescale = !int8::same_quant(plan.q.in, plan.q.out);
  plan.multipliers = {int8::rescale_multiplier(plan.q.in, plan.q.out)};
  return plan;
}

Result<PoolS8Plan> plan_avg_pool_s8(const KernelContext& context) {
  PoolS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::unary_quant(context));
  GRAMLITE_ASSIGN_OR_RETURN(plan.geometry, make_pool2d_params(context));
  const int64_t largest = int64_t{plan.geometry.attrs.kernel_h} * plan.geometry.attrs.kernel_w;
  const double ratio = static_cast<double>(plan.q.in.scale) / plan.q.out.scale;
  plan.multipliers.resize(static_cast<size_t>(largest) + 1);
  for (int64_t d = 1; d <= largest; ++d) {
    plan.multipliers[static_cast<size_t>(d)] = ir::quantize_multiplier(ratio / static_cast<double>(d));
  }
  return plan;
}

Result<PoolS8Plan> plan_global_avg_pool_s8(const KernelContext& context) {
  PoolS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::unary_quant(context));
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  const ir::Shape& x = context.inputs[0].shape;
  if (x.size() != 4 || context.outputs[0].shape != ir::Shape{x[0], x[1], 1, 1}) {
    return invalid_argument("GlobalAvgPool takes a rank-4 input to [N, C, 1, 1]; got ", ir::shape_to_string(x), " -> ",
                            ir::shape_to_string(context.outputs[0].shape));
  }
  plan.planes = x[0] * x[1];
  plan.plane_size = x[2] * x[3];
  const double divisor = static_cast<double>(std::max<int64_t>(plan.plane_size, 1));
  plan.multipliers = {ir::quantize_multiplier(static_cast<double>(plan.q.in.scale) / (divisor * plan.q.out.scale))};
  return plan;
}

void run_max_pool_s8(const PoolS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const Pool2dParams& p = plan.geometry;
  const ir::Pool2dAttrs& a = p.attrs;
  const int8_t* input = int8::input_s8(io, 0);
  int8_t* output = int8::output_s8(io, 0);
  parallel_for(pool, p.batch * p.channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int8_t* x = input + plane * p.in_h * p.in_w;
      int8_t* y = output + plane * p.out_h * p.out_w;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        const int64_t h0 = oh * a.stride_h - a.padding.top;
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t w0 = ow * a.stride_w - a.padding.left;
          int32_t best = ir::kInt8Min;  // an empty window: the float kernel's -inf, quantized
          bool any = false;
          for (int64_t ih = std::max<int64_t>(h0, 0); ih < std::min<int64_t>(h0 + a.kernel_h, p.in_h); ++ih) {
            for (int64_t iw = std::max<int64_t>(w0, 0); iw < std::min<int64_t>(w0 + a.kernel_w, p.in_w); ++iw) {
              best = std::max<int32_t>(best, x[ih * p.in_w + iw]);
              any = true;
            }
          }
          y[oh * p.out_w + ow] = static_cast<int8_t>(
              plan.rescale && any ? int8::rescale(best, plan.q.in, plan.multipliers[0], plan.q.out) : best);
        }
      }
    }
  });
}

void run_avg_pool_s8(const PoolS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const Pool2dParams& p = plan.geometry;
  const int8_t* input = int8::input_s8(io, 0);
  int8_t* output = int8::output_s8(io, 0);
  const int32_t zx = plan.q.in.zero_point, zy = plan.q.out.zero_point;
  parallel_for(pool, p.batch * p.channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int8_t* x = input + plane * p.in_h * p.in_w;
      int8_t* y = output + plane * p.out_h * p.out_w;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const AvgPoolWindow window = avg_pool_window(p, oh, ow);
          int8_t& out = y[oh * p.out_w + ow];
          if (window.empty()) {  // all padding: real 0, as the float kernel
            out = static_cast<int8_t>(std::clamp(zy, ir::kInt8Min, ir::kInt8Max));
            continue;
          }
          int32_t sum = 0;
          for (int64_t ih = window.h_begin; ih < window.h_end; ++ih) {
            for (int64_t iw = window.w_begin; iw < window.w_end; ++iw) sum += x[ih * p.in_w + iw] - zx;
          }
          out = static_cast<int8_t>(
              int8::requantize_small(sum, plan.multipliers[static_cast<size_t>(window.divisor)], zy));
        }
      }
    }
  });
}

void run_global_avg_pool_s8(const PoolS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const int8_t* input = int8::input_s8(io, 0);
  int8_t* output = int8::output_s8(io, 0);
  const int32_t zx = plan.q.in.zero_point;
  parallel_for(pool, plan.planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int8_t* x = input + plane * plan.plane_size;
      int32_t sum = 0;  // |q - z_x| <= 255: exact for planes up to 8 million pixels
      for (int64_t i = 0; i < plan.plane_size; ++i) sum += x[i] - zx;
      output[plane] = static_cast<int8_t>(int8::requantize_small(sum, plan.multipliers[0], plan.q.out.zero_point));
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_max_pool_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<PoolS8Plan>(context, "max_pool_s8", plan_max_pool_s8, run_max_pool_s8);
}

Result<std::unique_ptr<Kernel>> create_avg_pool_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<PoolS8Plan>(context, "avg_pool_s8", plan_avg_pool_s8, run_avg_pool_s8);
}

Result<std::unique_ptr<Kernel>> create_global_avg_pool_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<PoolS8Plan>(context, "global_avg_pool_s8", plan_global_avg_pool_s8,
                                         run_global_avg_pool_s8);
}

}  // namespace gramlite::runtime::reference
