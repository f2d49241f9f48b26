// Conv2d, float32, NCHW activations, OIHW weights: the reference (oracle) kernel. PyTorch
// semantics (torch.nn.functional.conv2d) with explicit, possibly asymmetric padding:
//
//   x: [N, C, H, W], weight: [O, C / groups, kH, kW], bias: [O] (optional), y: [N, O, OH, OW]
//   OH = floor((H + pad_top + pad_bottom - dilation_h * (kH - 1) - 1) / stride_h) + 1 (same for W)
//   y[n, o, oh, ow] = bias[o] + sum over c in group(o), kh, kw of
//       x[n, g * C/groups + c, oh * stride_h - pad_top + kh * dilation_h,
//                              ow * stride_w - pad_left + kw * dilation_w] * weight[o, c, kh, kw]
//   where g = o / (O / groups), and x outside [0, H) x [0, W) is zero. Then the fused activation.
//
// conv2d_f32 is that formula as seven nested loops, summed in double: no im2col, no GEMM, no
// algorithm choice. The portable backend's kernels (portable/conv2d.h) are tested against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "gramlite/ir/attributes.h"
#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

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

// Output size along one axis (PyTorch formula above); <= 0 when the window does not fit.
int64_t conv2d_output_size(int64_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t pad_begin,
                           int32_t pad_end);

// Checks a Conv2d node's attributes and shapes (for any backend) and returns its parameters.
Result<Conv2dParams> plan_conv2d(const KernelContext& context);

// bias may be nullptr. Output planes (image, channel) are split over the pool's threads.
void conv2d_f32(const Conv2dParams& params, const float* input, const float* weight, const float* bias, float* output,
                ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_conv2d_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
