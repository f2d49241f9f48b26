#include "runtime/reference/pool2d.h"

namespace gramlite::runtime::reference {

int64_t pool2d_output_size(int64_t in, int32_t kernel, int32_t stride, int32_t pad_begin, int32_t pad_end,
                           bool ceil_mode) {
  const int64_t span = in + pad_begin + pad_end - kernel;
  if (stride <= 0 || span < 0) return 0;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

Result<Pool2dParams> make_pool2d_params(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  if (context.inputs.size() != 1 || context.outputs.size() != 1) {
    return invalid_argument("a pool takes one input and has one output");
  }
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& y = context.outputs[0].shape;
  if (x.size() != 4 || y.size() != 4)
    return invalid_argument("a pool needs rank-4 input, got ", ir::shape_to_string(x));
  const ir::Pool2dAttrs& a = context.node.attr<ir::Pool2dAttrs>();
  if (a.kernel_h <= 0 || a.kernel_w <= 0 || a.stride_h <= 0 || a.stride_w <= 0 || a.padding.top < 0 ||
      a.padding.left < 0 || a.padding.bottom < 0 || a.padding.right < 0) {
    return invalid_argument("pool kernel and stride must be positive, padding non-negative");
  }
  Pool2dParams p;
  p.batch = x[0];
  p.channels = x[1];
  p.in_h = x[2];
  p.in_w = x[3];
  p.out_h = pool2d_output_size(p.in_h, a.kernel_h, a.stride_h, a.padding.top, a.padding.bottom, a.ceil_mode);
  p.out_w = pool2d_output_size(p.in_w, a.kernel_w, a.stride_w, a.padding.left, a.padding.right, a.ceil_mode);
  p.attrs = a;
  if (y != ir::Shape{p.batch, p.channels, p.out_h, p.out_w} || p.out_h <= 0 || p.out_w <= 0) {
    return invalid_argument("pool output shape ", ir::shape_to_string(y), " does not match [", p.batch, ", ",
                            p.channels, ", ", p.out_h, ", ", p.out_w, "]");
  }
  return p;
}

}  // namespace gramlite::runtime::reference
