// Shared geometry of MaxPool and AvgPool (NCHW, float32). PyTorch semantics (max_pool2d /
// avg_pool2d, dilation 1) with explicit, possibly asymmetric padding:
//
//   OH = floor_or_ceil((H + pad_top + pad_bottom - kH) / stride_h) + 1, and with ceil_mode a last
//   window that would start at or past H + pad_top (entirely in the bottom padding) is dropped.
//   Window of output row oh: rows [oh * stride_h - pad_top, oh * stride_h - pad_top + kH); the
//   same along W. See max_pool.h and avg_pool.h for what each op does with the window.
#pragma once

#include <algorithm>
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

// Average pooling's window for output (oh, ow): the input rows [h_begin, h_end) and columns
// [w_begin, w_end) it covers, and what the sum is divided by (the window clipped to the padded
// input with count_include_pad, else the elements inside the input). Empty when the window lies in
// the padding only (the float and int8 kernels then write a real 0).
struct AvgPoolWindow {
  int64_t h_begin = 0, h_end = 0, w_begin = 0, w_end = 0;
  int64_t divisor = 0;
  bool empty() const { return h_begin >= h_end || w_begin >= w_end; }
};
inline AvgPoolWindow avg_pool_window(const Pool2dParams& p, int64_t oh, int64_t ow) {
  const ir::Pool2dAttrs& a = p.attrs;
  const int64_t h0 = oh * a.stride_h - a.padding.top;
  const int64_t w0 = ow * a.stride_w - a.padding.left;
  const int64_t h_padded_end = std::min<int64_t>(h0 + a.kernel_h, p.in_h + a.padding.bottom);
  const int64_t w_padded_end = std::min<int64_t>(w0 + a.kernel_w, p.in_w + a.padding.right);
  AvgPoolWindow window;
  window.h_begin = std::max<int64_t>(h0, 0);
  window.h_end = std::min<int64_t>(h_padded_end, p.in_h);
  window.w_begin = std::max<int64_t>(w0, 0);
  window.w_end = std::min<int64_t>(w_padded_end, p.in_w);
  window.divisor = a.count_include_pad ? (h_padded_end - h0) * (w_padded_end - w0)
                                       : (window.h_end - window.h_begin) * (window.w_end - window.w_begin);
  return window;
}

}  // namespace gramlite::runtime::reference
