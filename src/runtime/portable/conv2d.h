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
// The portable backend's Conv2d: three algorithms, chosen when the kernel is created:
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

#include "gramlite/ir/attributes.h"
#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"
#include "runtime/reference/conv2d.h"

namespace gramlite::runtime::portable {

using reference::Conv2dParams;
using reference::conv2d_output_size;

enum class Conv2dAlgorithm { kDepthwiseDirect, kPointwiseGemm, kIm2colGemm };
const char* conv2d_algorithm_name(Conv2dAlgorithm algorithm);

// Output pixels per im2col tile and output channels per GEMM block of one work item.
inline constexpr int64_t kConvPixelTile = 256;
inline constexpr int64_t kConvChannelBlock = 64;

// The algorithm the kernel picks at creation, and whether `algorithm` can compute `params` at all.
Conv2dAlgorithm choose_conv2d_algorithm(const Conv2dParams& params);
bool conv2d_algorithm_applies(const Conv2dParams& params, Conv2dAlgorithm algorithm);

// Floats of scratch conv2d_f32 needs with `thread_count` threads.
size_t conv2d_scratch_floats(const Conv2dParams& params, Conv2dAlgorithm algorithm, int thread_count);

// Runs the convolution. bias may be nullptr. scratch holds conv2d_scratch_floats(params,
// algorithm, thread_count(pool)) floats. The algorithm must apply.
void conv2d_f32(const Conv2dParams& params, Conv2dAlgorithm algorithm, const float* input, const float* weight,
                const float* bias, float* output, float* scratch, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_conv2d_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::portable
