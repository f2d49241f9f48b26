#include "runtime/reference/int8/conv2d.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "runtime/reference/conv2d.h"
#include "runtime/reference/int8/int8_common.h"

namespace gramlite::runtime::reference {
namespace {

// Output positions accumulated at once (a block of whole output rows, or part of one long row):
// the accumulators live on the stack, so run() allocates nothing.
constexpr int64_t kBlock = 1024;

struct Conv2dS8Plan {
  Conv2dParams geometry;
  int8::WeightLayerQuant q;
  // Whether every accumulator provably fits int32: |bias| + 255 * 128 * taps < 2^31. Integer sums
  // are exact in any order, so the int32 and int64 paths give the same bits; int32 is the zoo's
  // case (it vectorizes), int64 keeps shapes no real model has exact too.
  bool int32_accumulators = false;
};

int64_t max_abs_bias(const KernelContext& context) {
  if (context.inputs.size() < 3 || !context.inputs[2].is_constant()) return 0;
  const Buffer& data = context.inputs[2].tensor->data;
  int64_t max_abs = 0;
  for (size_t i = 0; i + sizeof(int32_t) <= data.size(); i += sizeof(int32_t)) {
    int32_t v = 0;
    std::memcpy(&v, data.data() + i, sizeof v);
    max_abs = std::max(max_abs, std::abs(static_cast<int64_t>(v)));
  }
  return max_abs;
}

Result<Conv2dS8Plan> plan_conv2d_s8(const KernelContext& context) {
  Conv2dS8Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.geometry, plan_conv2d(context));
  GRAMLITE_ASSIGN_OR_RETURN(plan.q, int8::plan_weight_layer_quant(context, plan.geometry.out_channels));
  const ir::Conv2dAttrs& a = plan.geometry.attrs;
  const int64_t taps = plan.geometry.in_channels / a.groups * a.kernel_h * a.kernel_w;
  const int64_t bound = (plan.q.has_bias ? max_abs_bias(context) : 0) + 255 * 128 * taps;
  plan.int32_accumulators = bound <= std::numeric_limits<int32_t>::max();
  return plan;
}

// The output positions ow in [0, out_w) whose input column ow * stride + offset lies in [0, in_w).
struct ColumnRange {
  int64_t begin = 0;
  int64_t end = 0;
};
ColumnRange valid_columns(int64_t offset, int64_t stride, int64_t in_w, int64_t out_w) {
  const int64_t begin = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t end = offset >= in_w ? 0 : std::min(out_w, (in_w - 1 - offset) / stride + 1);
  return {begin, std::max(begin, end)};
}

// One output plane (n, o), block by block: acc = bias + sum over (c, kh, kw) of (x - z_x) * w,
// then one requantization per element. Padding reads z_x, which adds nothing, so only the window
// positions inside the input are visited. (x - z_x) * w fits int16 (255 * 127), which lets the
// compiler multiply 16 lanes at a time.
template <typename Acc>
void conv_plane_s8(const Conv2dS8Plan& plan, const int8_t* input, const int8_t* weight, const int32_t* bias,
                   int8_t* output, int64_t n, int64_t o) {
  const Conv2dParams& p = plan.geometry;
  const ir::Conv2dAttrs& a = p.attrs;
  const int16_t zx = static_cast<int16_t>(plan.q.x.zero_point);
  const int64_t group_in = p.in_channels / a.groups;
  const int64_t group = o / (p.out_channels / a.groups);
  const int64_t plane = p.out_h * p.out_w;
  // Whole rows per block when a row fits; otherwise one row in pieces.
  const int64_t rows_per_block = std::max<int64_t>(1, kBlock / p.out_w);
  const int64_t row_piece = std::min(p.out_w, kBlock);
  int8_t* y = output + (n * p.out_channels + o) * plane;
  Acc acc[kBlock];
  for (int64_t oh0 = 0; oh0 < p.out_h; oh0 += rows_per_block) {
    const int64_t oh1 = std::min(p.out_h, oh0 + rows_per_block);
    for (int64_t ow0 = 0; ow0 < p.out_w; ow0 += row_piece) {
      const int64_t ow1 = std::min(p.out_w, ow0 + row_piece);
      const int64_t width = ow1 - ow0;
      std::fill(acc, acc + (oh1 - oh0) * width, static_cast<Acc>(bias != nullptr ? bias[o] : 0));
      for (int64_t c = 0; c < group_in; ++c) {
        const int8_t* x = input + (n * p.in_channels + group * group_in + c) * p.in_h * p.in_w;
        const int8_t* wc = weight + (o * group_in + c) * a.kernel_h * a.kernel_w;
        for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
          for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
            const int16_t w = wc[kh * a.kernel_w + kw];
            if (w == 0) continue;
            const int64_t offset = kw * a.dilation_w - a.padding.left;
            const ColumnRange cols = valid_columns(offset, a.stride_w, p.in_w, p.out_w);
            const int64_t begin = std::max(cols.begin, ow0), end = std::min(cols.end, ow1);
            if (begin >= end) continue;
            for (int64_t oh = oh0; oh < oh1; ++oh) {
              const int64_t ih = oh * a.stride_h - a.padding.top + kh * a.dilation_h;
              if (ih < 0 || ih >= p.in_h) continue;
              const int8_t* row = x + ih * p.in_w;
              Acc* out = acc + (oh - oh0) * width;
              if (a.stride_w == 1) {
                for (int64_t ow = begin; ow < end; ++ow) {
                  out[ow - ow0] += static_cast<int16_t>(static_cast<int16_t>(row[ow + offset] - zx) * w);
                }
              } else {
                for (int64_t ow = begin; ow < end; ++ow) {
                  out[ow - ow0] += static_cast<int16_t>(static_cast<int16_t>(row[ow * a.stride_w + offset] - zx) * w);
                }
              }
            }
          }
        }
      }
      for (int64_t oh = oh0; oh < oh1; ++oh) {
        for (int64_t ow = ow0; ow < ow1; ++ow) {
          const Acc sum = acc[(oh - oh0) * width + (ow - ow0)];
          const int32_t acc32 = int8::saturate_to_int32(sum);
          y[oh * p.out_w + ow] = static_cast<int8_t>(ir::requantize(acc32, plan.q.multipliers[static_cast<size_t>(o)],
                                                                    plan.q.y.zero_point, plan.q.clamp.min,
                                                                    plan.q.clamp.max));
        }
      }
    }
  }
}

void run_conv2d_s8(const Conv2dS8Plan& plan, const KernelIo& io, ThreadPool* pool) {
  const Conv2dParams& p = plan.geometry;
  const int8_t* input = int8::input_s8(io, 0);
  const int8_t* weight = int8::input_s8(io, 1);
  const auto* bias = plan.q.has_bias ? static_cast<const int32_t*>(io.inputs[2]) : nullptr;
  int8_t* output = int8::output_s8(io, 0);
  parallel_for(pool, p.batch * p.out_channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t n = plane / p.out_channels;
      const int64_t o = plane % p.out_channels;
      if (plan.int32_accumulators) {
        conv_plane_s8<int32_t>(plan, input, weight, bias, output, n, o);
      } else {
        conv_plane_s8<int64_t>(plan, input, weight, bias, output, n, o);
      }
    }
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_conv2d_s8_kernel(const KernelContext& context) {
  return make_planned_kernel<Conv2dS8Plan>(context, "conv2d_s8_direct", plan_conv2d_s8, run_conv2d_s8);
}

}  // namespace gramlite::runtime::reference
