#include "runtime/reference/conv2d.h"

#include "runtime/reference/activation.h"

namespace gramlite::runtime::reference {
namespace {

struct Conv2dPlan {
  Conv2dParams params;
  bool has_bias = false;
};

void run_conv2d(const Conv2dPlan& plan, const KernelIo& io, ThreadPool* pool) {
  conv2d_f32(plan.params, input_f32(io, 0), input_f32(io, 1), plan.has_bias ? input_f32(io, 2) : nullptr,
             output_f32(io, 0), pool);
}

}  // namespace

int64_t conv2d_output_size(int64_t in, int32_t kernel, int32_t stride, int32_t dilation, int32_t pad_begin,
                           int32_t pad_end) {
  const int64_t span = int64_t{dilation} * (kernel - 1) + 1;
  const int64_t padded = in + pad_begin + pad_end;
  if (stride <= 0 || padded < span) return 0;
  return (padded - span) / stride + 1;
}

void conv2d_f32(const Conv2dParams& p, const float* input, const float* weight, const float* bias, float* output,
                ThreadPool* pool) {
  const ir::Conv2dAttrs& a = p.attrs;
  const int64_t group_in = p.in_channels / a.groups;
  const int64_t group_out = p.out_channels / a.groups;
  parallel_for(pool, p.batch * p.out_channels, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t n = plane / p.out_channels;
      const int64_t o = plane % p.out_channels;
      const int64_t g = o / group_out;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          double sum = bias != nullptr ? bias[o] : 0.0;
          for (int64_t c = 0; c < group_in; ++c) {
            for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
              const int64_t ih = oh * a.stride_h - a.padding.top + kh * a.dilation_h;
              if (ih < 0 || ih >= p.in_h) continue;
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t iw = ow * a.stride_w - a.padding.left + kw * a.dilation_w;
                if (iw < 0 || iw >= p.in_w) continue;
                const float x = input[((n * p.in_channels + g * group_in + c) * p.in_h + ih) * p.in_w + iw];
                const float w = weight[((o * group_in + c) * a.kernel_h + kh) * a.kernel_w + kw];
                sum += static_cast<double>(x) * w;
              }
            }
          }
          output[((n * p.out_channels + o) * p.out_h + oh) * p.out_w + ow] =
              apply_activation(p.activation, static_cast<float>(sum));
        }
      }
    }
  });
}

Result<Conv2dParams> plan_conv2d(const KernelContext& context) {
  const ir::Node& node = context.node;
  const ir::Conv2dAttrs& a = node.attr<ir::Conv2dAttrs>();
  if (context.inputs.size() < 2 || context.outputs.size() != 1) {
    return invalid_argument("Conv2d takes x, weight and an optional bias, and has one output");
  }
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& w = context.inputs[1].shape;
  const ir::Shape& y = context.outputs[0].shape;
  if (x.size() != 4 || w.size() != 4 || y.size() != 4) {
    return invalid_argument("Conv2d needs rank-4 x, weight and output; got x ", ir::shape_to_string(x), ", weight ",
                            ir::shape_to_string(w));
  }
  if (a.groups <= 0 || a.stride_h <= 0 || a.stride_w <= 0 || a.dilation_h <= 0 || a.dilation_w <= 0 ||
      a.kernel_h <= 0 || a.kernel_w <= 0 || a.padding.top < 0 || a.padding.left < 0 || a.padding.bottom < 0 ||
      a.padding.right < 0) {
    return invalid_argument("Conv2d attributes must be positive (padding non-negative)");
  }
  Conv2dParams p;
  p.batch = x[0];
  p.in_channels = x[1];
  p.in_h = x[2];
  p.in_w = x[3];
  p.out_channels = w[0];
  p.out_h = y[2];
  p.out_w = y[3];
  p.attrs = a;
  p.activation = node.fused_activation;
  if (p.in_channels % a.groups != 0 || p.out_channels % a.groups != 0 || w[1] * a.groups != p.in_channels ||
      w[2] != a.kernel_h || w[3] != a.kernel_w) {
    return invalid_argument("Conv2d weight ", ir::shape_to_string(w), " does not fit input ", ir::shape_to_string(x),
                            " with groups ", a.groups, " and kernel ", a.kernel_h, "x", a.kernel_w);
  }
  if (has_input(node, 2) && context.inputs[2].shape != ir::Shape{p.out_channels}) {
    return invalid_argument("Conv2d bias shape ", ir::shape_to_string(context.inputs[2].shape), " is not [",
                            p.out_channels, "]");
  }
  const int64_t expected_h =
      conv2d_output_size(p.in_h, a.kernel_h, a.stride_h, a.dilation_h, a.padding.top, a.padding.bottom);
  const int64_t expected_w =
      conv2d_output_size(p.in_w, a.kernel_w, a.stride_w, a.dilation_w, a.padding.left, a.padding.right);
  if (y[0] != p.batch || y[1] != p.out_channels || y[2] != expected_h || y[3] != expected_w || expected_h <= 0 ||
      expected_w <= 0) {
    return invalid_argument("Conv2d output shape ", ir::shape_to_string(y), " does not match [", p.batch, ", ",
                            p.out_channels, ", ", expected_h, ", ", expected_w, "]");
  }
  return p;
}

Result<std::unique_ptr<Kernel>> create_conv2d_kernel(const KernelContext& context) {
  auto plan = [](const KernelContext& c) -> Result<Conv2dPlan> {
    GRAMLITE_ASSIGN_OR_RETURN(Conv2dParams params, plan_conv2d(c));
    return Conv2dPlan{params, has_input(c.node, 2)};
  };
  return make_planned_kernel<Conv2dPlan>(context, "conv2d_f32_direct", plan, run_conv2d);
}

}  // namespace gramlite::runtime::reference
