// Shared geometry of MaxPool and AvgPool (NCHW, float32). PyTorch semantics (max_pool2d /
// avg_pool2d, dilation 1) with explicit, possibly asymmetric padding:
//
//   OH = floor_or_ceil((H + pad_top + pad_bottom - kH) / stride_h) + 1, and with ceil_mode a last
//   window that would start at or past H + pad_top (entirely in the bottom padding) is dropped.
//   Window of output row oh: rows [oh * stride_h - pad_top, oh * stride_h - pad_top + kH); the
//   same along W. See max_pool.h and avg_pool.h for what each op does with the window.
#pragma once

#include <cstdint>

#include "gramlite/ir/attributes.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

struct Pool2dParams {
  int64_t batch = 1;
  int64_t channels = 0;
  int64_t in_h = 0;
  int64_t in_w = 0;
  int64_t out_h = 0;
  int64_t out_w = 0;
  ir::Pool2dAttrs attrs;
};

// Output length along one axis (formula above); <= 0 when no window fits.
int64_t pool2d_output_size(int64_t in, int32_t kernel, int32_t stride, int32_t pad_begin, int32_t pad_end,
                           bool ceil_mode);

// Fills params from the node's attributes and its input/output shapes, checking they agree.
Result<Pool2dParams> make_pool2d_params(const KernelContext& context);

}  // namespace gramlite::runtime::reference
