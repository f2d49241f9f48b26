// Conv2d, float32, NCHW activations, OIHW weights. PyTorch semantics (torch.nn.functional.conv2d)
// with explicit, possibly asymmetric padding:
//
//   x: [N, C, H, W], weight: [O, C / groups, kH, kW], bias: [O] (optional), y: [N, O, OH, OW]
//   OH = floor((H + pad_top + pad_bottom - dilation_h * (kH - 1) - 1) / stride_h) + 1 (same for W)
//   y[n, o, oh, ow] = bias[o] + sum over c in group(o), kh, kw of
//       x[n, g * C/groups + c, oh * stride_h - pad_top + kh * dilation_h,
//                              ow * stride_w - pad_left + kw * dilation_w] * weight[o, c, kh, kw]
//   where g = o / (O / groups), and x outside [0, H) x [0, W) is zero. Then the fused activation.
//
// Three algorithms, chosen at prepare time:
//  - depthwise (C / groups == 1, any channel multiplier O / groups): a direct loop per output
//    plane that accumulates one kernel tap at a time over contiguous rows;
//  - pointwise (1x1, stride 1, no padding): y[n, group] = W[group] * x[n, group] as one GEMM,
//    reading the input in place;
//  - im2col: per work item, a [C/groups * kH * kW] x [tile of output pixels] column matrix in the
//    thread's scratch, then GEMM with the weight rows.
// Work items (output planes; or (image, group, pixel tile, block of output channels)) depend on
// the shape alone, so results are bitwise the same for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ir/attributes.h"
#include "ir/op_kind.h"
#include "runtime/reference/kernel.h"

namespace gramlite::runtime::reference {

struct Conv2dParams {
  int64_t batch = 1;
  int64_t in_channels = 0;
  int64_t in_h = 0;
  int64_t in_w = 0;
  int64_t out_channels = 0;
  int64_t out_h = 0;
  int64_t out_w = 0;
  ir::Conv2dAttrs attrs;
  ir::Activation activation = ir::Activation::kNone;
};

enum class Conv2dAlgorithm { kDepthwiseDirect, kPointwiseGemm, kIm2colGemm };
const char* conv2d_algorithm_name(Conv2dAlgorithm algorithm);

// Output pixels per im2col tile and output channels per GEMM block of one work item.
inline constexpr int64_t kConvPixelTile = 256;
inline constexpr int64_t kConvChannelBlock = 64;

// Output size along one axis (PyTorch formula above); <= 0 when the window does not fit.
int64_t conv2d_output_size(int64_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t pad_begin,
                           int32_t pad_end);

// The algorithm prepare() picks, and whether `algorithm` can compute `params` at all.
Conv2dAlgorithm choose_conv2d_algorithm(const Conv2dParams& params);
bool conv2d_algorithm_applies(const Conv2dParams& params, Conv2dAlgorithm algorithm);

// Floats of scratch conv2d_f32 needs with `thread_count` threads.
size_t conv2d_scratch_floats(const Conv2dParams& params, Conv2dAlgorithm algorithm, int thread_count);

// Runs the convolution. bias may be nullptr. scratch holds conv2d_scratch_floats(params,
// algorithm, thread_count(pool)) floats. The algorithm must apply.
void conv2d_f32(const Conv2dParams& params, Conv2dAlgorithm algorithm, const float* input, const float* weight,
                const float* bias, float* output, float* scratch, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_conv2d_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
