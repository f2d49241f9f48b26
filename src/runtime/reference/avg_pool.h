// AvgPool, float32, NCHW (torch.nn.functional.avg_pool2d, no divisor_override; geometry in
// pool2d.h), generalised to asymmetric padding:
//
//   window rows [h0, h0 + kH) with h0 = oh * stride_h - pad_top, clipped twice:
//     to the padded input [.., H + pad_bottom)  -> the window's padded size P
//     to the input itself [0, H)                 -> the positions summed, V of them
//   (the same along W).
//   y = sum / P when count_include_pad, sum / V otherwise; 0 when V is empty.
// So with ceil_mode a window hanging past the bottom/right padding never counts the part beyond
// the padding, even with count_include_pad (PyTorch's behaviour).
#pragma once

#include <memory>

#include "runtime/reference/pool2d.h"

namespace gramlite::runtime::reference {

void avg_pool2d_f32(const Pool2dParams& params, const float* input, float* output, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_avg_pool_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
