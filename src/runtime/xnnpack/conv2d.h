// Conv2d (dense, grouped, depthwise) float32 and int8 on XNNPACK, and AvgPool as a depthwise
// convolution with equal weights (so padding counts as zeros, PyTorch's count_include_pad).
#pragma once

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::xnnpack {

Result<std::unique_ptr<Kernel>> create_conv2d_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_conv2d_s8(const KernelContext& context);
// The float32 Conv2d computed in fp16 (SessionOptions::fp16_arithmetic; conv2d_f16.cc): declines
// where the CPU has no fp16 arithmetic, and create_conv2d_f32 then makes the float32 kernel.
Result<std::unique_ptr<Kernel>> create_conv2d_f16_arithmetic(const KernelContext& context, const float* weight,
                                                            const float* bias);
Result<std::unique_ptr<Kernel>> create_avg_pool_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_avg_pool_s8(const KernelContext& context);
// Linear as a 1 x 1 convolution over 1 x 1 images: XNNPACK's int8 fully-connected operator has
// one weight scale only, its convolution one per output channel.
Result<std::unique_ptr<Kernel>> create_linear_s8(const KernelContext& context);

}  // namespace gramlite::runtime::xnnpack
