// int8 Conv2d and Linear reference kernels against the float reference kernels run on the
// dequantized input, weights and bias, their output quantized with the int8 output's parameters:
// within one LSB everywhere (the multiplier's 31 bits and the float path's own rounding; see
// docs/quantization.md), and exact for nearly every element. Shapes swept the ncnn way (channels
// 1, 3, 8, 13, 24; kernels 1/3/5; strides 1/2; symmetric and asymmetric padding; dilation;
// depthwise and grouped; batch 1 and 3) with random scales and zero points, and output ranges
// chosen narrower than the values so that outputs saturate at -128 and 127.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "int8_test_util.h"
#include "runtime/reference/conv2d.h"

namespace gramlite::runtime::testing {
namespace {

struct WeightCase {
  bool per_channel = true;
  bool bias = true;
  ir::Activation activation = ir::Activation::kNone;
};

// Builds an int8 weight layer node (Conv2d or Linear) with random int8 data and params.
struct Int8Layer {
  ir::Graph graph;
  std::vector<int8_t> x;
  ir::AffineQuant x_quant;
};

// Adds weight (int8, [out, ...]) and optional bias (int32) for an int8 layer with `out` channels.
std::vector<ir::TensorId> add_weights(ir::Graph& g, const ir::Shape& w_shape, ir::AffineQuant x_quant,
                                      const WeightCase& wc, std::mt19937& rng) {
  const int64_t out = w_shape[0];
  std::uniform_real_distribution<float> scale(0.002f, 0.02f);
  ir::QuantParams wq;
  if (wc.per_channel) {
    for (int64_t c = 0; c < out; ++c) wq.scales.push_back(scale(rng));
    wq.zero_points.assign(static_cast<size_t>(out), 0);
    wq.axis = 0;
  } else {
    wq = {{scale(rng)}, {0}, -1};
  }
  const std::vector<int8_t> w = random_int8(static_cast<size_t>(ir::element_count(w_shape)), rng, -127, 127);
  std::vector<ir::TensorId> ids = {add_typed_constant(g, "w", w_shape, ir::DType::kInt8, w, wq)};
  if (wc.bias) {
    ir::QuantParams bq;
    bq.axis = 0;
    for (int64_t c = 0; c < out; ++c) {
      bq.scales.push_back(x_quant.scale * wq.scales[wc.per_channel ? static_cast<size_t>(c) : 0]);
      bq.zero_points.push_back(0);
    }
    std::uniform_int_distribution<int32_t> bias(-3000, 3000);
    std::vector<int32_t> b(static_cast<size_t>(out));
    for (int32_t& v : b) v = bias(rng);
    ids.push_back(add_typed_constant(g, "b", {out}, ir::DType::kInt32, b, bq));
  }
  return ids;
}

// Runs the int8 node 0 of `g` (input 0 = `x`) and its float twin; output params from 85 % of
// the float output's range (so some outputs saturate). Returns the comparison.
Lsb check_against_float(ir::Graph& g, const std::vector<int8_t>& x, ir::AffineQuant x_quant, std::mt19937& rng) {
  const ir::Graph twin = float_twin(g);
  const std::vector<float> expected_real =
      from_bytes<float>(run_reference_node(twin, {as_bytes(dequantize(x, x_quant))}));
  const auto [lo, hi] = std::minmax_element(expected_real.begin(), expected_real.end());
  std::uniform_real_distribution<float> shrink(0.6f, 0.9f);
  const ir::AffineQuant y_quant = ir::choose_activation_quant(*lo * shrink(rng), *hi * shrink(rng));
  g.tensor(g.nodes[0].outputs[0]).quant = per_tensor(y_quant);
  const std::vector<int8_t> actual = from_bytes<int8_t>(run_reference_node(g, {as_bytes(x)}));
  return compare_lsb(actual, quantize(expected_real, y_quant));
}

int32_t saturate_to_int32(int64_t v) {
  return static_cast<int32_t>(
      std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
}

// The convolution exactly as docs/quantization.md states it, one output element at a time:
// acc = bias + sum (x - z_x) * w over the window (padding reads z_x), then saturated to int32,
// requantized with s_x * s_w[o] / s_y and clamped. The kernel may sum in any order (integer sums are exact), so it
// must match this bit for bit.
std::vector<int8_t> textbook_conv_s8(const ir::Graph& g, const std::vector<int8_t>& xq) {
  const ir::Node& node = g.nodes[0];
  const auto& a = std::get<ir::Conv2dAttrs>(node.attrs);
  const ir::Tensor& xt = g.tensor(node.inputs[0]);
  const ir::Tensor& wt = g.tensor(node.inputs[1]);
  const ir::Tensor& yt = g.tensor(node.outputs[0]);
  const bool has_bias = node.inputs.size() > 2;
  const auto* w = reinterpret_cast<const int8_t*>(wt.data.data());
  const auto* b = has_bias ? reinterpret_cast<const int32_t*>(g.tensor(node.inputs[2]).data.data()) : nullptr;
  const int64_t batch = xt.shape[0], in_c = xt.shape[1], in_h = xt.shape[2], in_w = xt.shape[3];
  const int64_t out_c = yt.shape[1], out_h = yt.shape[2], out_w = yt.shape[3];
  const int64_t group_in = in_c / a.groups, group_out = out_c / a.groups;
  const ir::AffineQuant xq_params{xt.quant.scales[0], xt.quant.zero_points[0]};
  const ir::AffineQuant yq{yt.quant.scales[0], yt.quant.zero_points[0]};
  ir::Int8Clamp clamp;
  if (node.fused_activation == ir::Activation::kRelu) clamp = ir::clamp_for_relu(yq);
  if (node.fused_activation == ir::Activation::kRelu6) clamp = ir::clamp_for_relu6(yq);
  std::vector<int8_t> y(static_cast<size_t>(batch * out_c * out_h * out_w));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < out_c; ++o) {
      const float w_scale = wt.quant.scales.size() == 1 ? wt.quant.scales[0] : wt.quant.scales[static_cast<size_t>(o)];
      const ir::FixedPointMultiplier m =
          ir::quantize_multiplier(static_cast<double>(xq_params.scale) * w_scale / yq.scale);
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          int64_t acc = b != nullptr ? b[o] : 0;
          for (int64_t c = 0; c < group_in; ++c) {
            for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t ih = oh * a.stride_h - a.padding.top + kh * a.dilation_h;
                const int64_t iw = ow * a.stride_w - a.padding.left + kw * a.dilation_w;
                const bool inside = ih >= 0 && ih < in_h && iw >= 0 && iw < in_w;
                const int64_t ic = o / group_out * group_in + c;
                const int32_t x = inside ? xq[static_cast<size_t>(((n * in_c + ic) * in_h + ih) * in_w + iw)]
                                         : xq_params.zero_point;
                acc += static_cast<int64_t>(x - xq_params.zero_point) *
                       w[((o * group_in + c) * a.kernel_h + kh) * a.kernel_w + kw];
              }
            }
          }
          y[static_cast<size_t>(((n * out_c + o) * out_h + oh) * out_w + ow)] =
              static_cast<int8_t>(ir::requantize(saturate_to_int32(acc), m, yq.zero_point, clamp.min, clamp.max));
        }
      }
    }
  }
  return y;
}

TEST(Int8Conv2d, MatchesFloatOnDequantizedValuesWithinOneLsb) {
  std::mt19937 rng(7);
  size_t cases = 0, elements = 0, off_by_one = 0, saturated = 0;
  int variant = 0;
  for (int64_t channels : {1, 3, 8, 13, 24}) {
    for (int32_t k : {1, 3, 5}) {
      for (int32_t stride : {1, 2}) {
        for (int group_mode = 0; group_mode < 3; ++group_mode) {  // plain, depthwise, grouped
          ++variant;
          int32_t groups = 1;
          int64_t out_channels = channels == 1 ? 5 : channels;
          if (group_mode == 1) {
            groups = static_cast<int32_t>(channels);
            out_channels = channels * (variant % 2 == 0 ? 1 : 2);  // depthwise multiplier 1 or 2
          } else if (group_mode == 2) {
            groups = 1;
            for (int32_t d = 2; d < channels; ++d) {
              if (channels % d == 0) {
                groups = d;
                break;
              }
            }
            if (groups == 1) continue;  // a prime channel count has no grouped variant
            out_channels = groups * 3;
          }
          ir::Conv2dAttrs a;
          a.kernel_h = a.kernel_w = k;
          a.stride_h = a.stride_w = stride;
          a.groups = groups;
          a.dilation_h = a.dilation_w = (variant % 5 == 0) ? 2 : 1;
          switch (variant % 3) {
            case 0: a.padding = {0, 0, 0, 0}; break;
            case 1: a.padding = {k / 2, k / 2, k / 2, k / 2}; break;
            default: a.padding = {0, 1, 2, 1}; break;  // asymmetric: reads the input zero point
          }
          const int64_t batch = variant % 4 == 0 ? 3 : 1;
          const int64_t h = 11, w = 10;
          const int64_t oh = reference::conv2d_output_size(h, k, stride, a.dilation_h, a.padding.top, a.padding.bottom);
          const int64_t ow =
              reference::conv2d_output_size(w, k, stride, a.dilation_w, a.padding.left, a.padding.right);
          ASSERT_GT(oh, 0);
          ASSERT_GT(ow, 0);
          WeightCase wc;
          wc.per_channel = variant % 6 != 1;
          wc.bias = variant % 7 != 3;
          wc.activation = static_cast<ir::Activation>(variant % 3);  // None, Relu, Relu6

          ir::Graph g;
          const ir::AffineQuant x_quant = random_quant(rng);
          const ir::TensorId x = add_int8_value(g, "x", {batch, channels, h, w}, x_quant);
          g.inputs = {x};
          std::vector<ir::TensorId> inputs = {x};
          for (ir::TensorId id : add_weights(g, {out_channels, channels / groups, k, k}, x_quant, wc, rng)) {
            inputs.push_back(id);
          }
          const ir::TensorId y = add_int8_value(g, "y", {batch, out_channels, oh, ow}, {1.0f, 0});
          g.add_node(make_test_node("conv", ir::OpKind::kConv2d, inputs, y, a));
          g.nodes[0].fused_activation = wc.activation;
          g.outputs = {y};
          const std::vector<int8_t> xq = random_int8(static_cast<size_t>(batch * channels * h * w), rng);
          const Lsb r = check_against_float(g, xq, x_quant, rng);
          EXPECT_EQ(r.worse, 0u) << "channels " << channels << " k " << k << " stride " << stride << " groups "
                                 << groups << " first at " << r.first_worse;
          EXPECT_EQ(from_bytes<int8_t>(run_reference_node(g, {as_bytes(xq)})), textbook_conv_s8(g, xq))
              << "channels " << channels << " k " << k << " stride " << stride << " groups " << groups;
          ++cases;
          elements += r.count;
          off_by_one += r.off_by_one;
          saturated += r.saturated;
        }
      }
    }
  }
  // Off by one only where the float path's own rounding or the multiplier's 31 bits cross a
  // boundary: none of 65,940 here. gemmlowp's double rounding put 289 (0.44 %) one off.
  EXPECT_LE(static_cast<double>(off_by_one), 1e-4 * static_cast<double>(elements));
  EXPECT_GT(saturated, 0u);  // the saturating edges were exercised
  EXPECT_GT(cases, 70u);
  RecordProperty("elements", static_cast<int>(elements));
  RecordProperty("off_by_one", static_cast<int>(off_by_one));
}

// The blocking of the fast loop order: rows longer than a block (1024 positions), many rows per
// block, and a bias so large that the sum no longer provably fits int32 (the int64 path).
TEST(Int8Conv2d, MatchesTheTextbookOnLongRowsAndHugeBiases) {
  std::mt19937 rng(5);
  struct Case {
    int64_t h, w;
    int32_t k, stride;
    bool huge_bias;
  };
  for (const Case& c : {Case{2, 1500, 3, 1, false}, Case{3, 2300, 3, 2, false}, Case{40, 50, 1, 1, false},
                        Case{9, 1100, 3, 1, true}, Case{6, 7, 5, 1, true}}) {
    ir::Conv2dAttrs a;
    a.kernel_h = a.kernel_w = c.k;
    a.stride_h = a.stride_w = c.stride;
    a.padding = {c.k / 2, c.k / 2, c.k / 2, c.k / 2};
    const int64_t channels = 3, out_channels = 4;
    const int64_t oh = reference::conv2d_output_size(c.h, c.k, c.stride, 1, a.padding.top, a.padding.bottom);
    const int64_t ow = reference::conv2d_output_size(c.w, c.k, c.stride, 1, a.padding.left, a.padding.right);
    ir::Graph g;
    const ir::AffineQuant x_quant = random_quant(rng);
    const ir::TensorId x = add_int8_value(g, "x", {1, channels, c.h, c.w}, x_quant);
    g.inputs = {x};
    std::vector<ir::TensorId> inputs = {x};
    for (ir::TensorId id : add_weights(g, {out_channels, channels, c.k, c.k}, x_quant, WeightCase{}, rng)) {
      inputs.push_back(id);
    }
    if (c.huge_bias) {
      int32_t* bias = g.tensor(inputs[2]).data.mutable_as<int32_t>();
      bias[0] = std::numeric_limits<int32_t>::max() - 1000;  // the sum may leave int32: saturates
      bias[1] = std::numeric_limits<int32_t>::min() + 1000;
    }
    const ir::TensorId y = add_int8_value(g, "y", {1, out_channels, oh, ow}, random_quant(rng, 0.5f, 2.0f));
    g.add_node(make_test_node("conv", ir::OpKind::kConv2d, inputs, y, a));
    g.outputs = {y};
    const std::vector<int8_t> xq = random_int8(static_cast<size_t>(channels * c.h * c.w), rng);
    EXPECT_EQ(from_bytes<int8_t>(run_reference_node(g, {as_bytes(xq)})), textbook_conv_s8(g, xq))
        << c.h << "x" << c.w << " k " << c.k << " stride " << c.stride;
  }
}

TEST(Int8Linear, MatchesFloatOnDequantizedValuesWithinOneLsb) {
  std::mt19937 rng(11);
  size_t elements = 0, off_by_one = 0, saturated = 0;
  int variant = 0;
  for (int64_t in : {1, 3, 8, 13, 24, 200}) {
    for (int64_t out : {1, 5, 24}) {
      for (int64_t rows : {1, 3}) {
        ++variant;
        WeightCase wc;
        wc.per_channel = variant % 2 == 0;
        wc.bias = variant % 3 != 0;
        wc.activation = static_cast<ir::Activation>(variant % 3);
        ir::Graph g;
        const ir::AffineQuant x_quant = random_quant(rng);
        const ir::TensorId x = add_int8_value(g, "x", {rows, in}, x_quant);
        g.inputs = {x};
        std::vector<ir::TensorId> inputs = {x};
        for (ir::TensorId id : add_weights(g, {out, in}, x_quant, wc, rng)) inputs.push_back(id);
        const ir::TensorId y = add_int8_value(g, "y", {rows, out}, {1.0f, 0});
        g.add_node(make_test_node("fc", ir::OpKind::kLinear, inputs, y));
        g.nodes[0].fused_activation = wc.activation;
        g.outputs = {y};
        const Lsb r = check_against_float(g, random_int8(static_cast<size_t>(rows * in), rng), x_quant, rng);
        EXPECT_EQ(r.worse, 0u) << "in " << in << " out " << out << " rows " << rows;
        elements += r.count;
        off_by_one += r.off_by_one;
        saturated += r.saturated;
      }
    }
  }
  EXPECT_LT(static_cast<double>(off_by_one), 0.02 * static_cast<double>(elements));
  EXPECT_GT(saturated, 0u);
}

// A hand-computed case: the accumulator, the zero point read by padding, the bias and the
// requantization, checked value by value.
TEST(Int8Conv2d, HandComputedPaddingReadsTheZeroPoint) {
  ir::Graph g;
  const ir::AffineQuant xq{0.5f, 10};
  const ir::TensorId x = add_int8_value(g, "x", {1, 1, 1, 2}, xq);
  g.inputs = {x};
  // 1x3 kernel with padding 1 on the left only: output 1x1x1x1... window [pad, x0, x1].
  const ir::TensorId w = add_typed_constant<int8_t>(g, "w", {1, 1, 1, 3}, ir::DType::kInt8, {100, 2, 3},
                                                    {{0.25f}, {0}, -1});
  const ir::TensorId b =
      add_typed_constant<int32_t>(g, "b", {1}, ir::DType::kInt32, {7}, {{0.125f}, {0}, 0});
  const ir::TensorId y = add_int8_value(g, "y", {1, 1, 1, 1}, {0.25f, -3});
  ir::Conv2dAttrs a;
  a.kernel_h = 1;
  a.kernel_w = 3;
  a.padding = {0, 1, 0, 0};
  g.add_node(make_test_node("conv", ir::OpKind::kConv2d, {x, w, b}, y, a));
  g.outputs = {y};
  // x = [14, 20] -> x - z = [4, 10]; acc = 7 + 100 * 0 (padding) + 2 * 4 + 3 * 10 = 45.
  // M = 0.5 * 0.25 / 0.25 = 0.5; 45 * 0.5 = 22.5 -> 22 (ties to even); + (-3) = 19.
  const std::vector<int8_t> out = from_bytes<int8_t>(run_reference_node(g, {as_bytes(std::vector<int8_t>{14, 20})}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], 19);
}

// Wrong dtypes decline; broken quantization parameters are errors naming the tensor.
TEST(Int8Conv2d, ChecksEveryTensor) {
  auto build = [](auto mutate) {
    ir::Graph g;
    const ir::TensorId x = add_int8_value(g, "x", {1, 2, 3, 3}, {0.1f, 0});
    g.inputs = {x};
    const ir::TensorId w = add_typed_constant<int8_t>(g, "conv.weight", {2, 2, 1, 1}, ir::DType::kInt8, {1, 2, 3, 4},
                                                      {{0.1f, 0.2f}, {0, 0}, 0});
    const ir::TensorId b = add_typed_constant<int32_t>(g, "conv.bias", {2}, ir::DType::kInt32, {1, 2},
                                                       {{0.01f, 0.02f}, {0, 0}, 0});
    const ir::TensorId y = add_int8_value(g, "y", {1, 2, 3, 3}, {0.2f, 5});
    g.add_node(make_test_node("conv", ir::OpKind::kConv2d, {x, w, b}, y));
    mutate(g);
    return reference_kernel_for(g).status();
  };
  EXPECT_TRUE(build([](ir::Graph&) {}).ok());
  const Status bad_bias_scale = build([](ir::Graph& g) { g.tensors[2].quant.scales = {0.5f, 0.02f}; });
  EXPECT_EQ(bad_bias_scale.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_bias_scale.message().find("conv.bias"), std::string::npos) << bad_bias_scale.message();
  const Status no_bias_scale = build([](ir::Graph& g) { g.tensors[2].quant = {}; });
  EXPECT_EQ(no_bias_scale.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_bias_scale.message().find("conv.bias"), std::string::npos);
  const Status weight_zero_point = build([](ir::Graph& g) { g.tensors[1].quant.zero_points = {0, 3}; });
  EXPECT_EQ(weight_zero_point.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(weight_zero_point.message().find("conv.weight"), std::string::npos);
  const Status weight_scales = build([](ir::Graph& g) { g.tensors[1].quant.scales = {0.1f, 0.2f, 0.3f}; });
  EXPECT_EQ(weight_scales.code(), StatusCode::kInvalidArgument);
  const Status output_scale = build([](ir::Graph& g) { g.tensors[3].quant.scales = {0.0f}; });
  EXPECT_EQ(output_scale.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(output_scale.message().find("'y'"), std::string::npos);
  const Status float_output = build([](ir::Graph& g) {
    g.tensors[3].dtype = ir::DType::kFloat32;
    g.tensors[3].quant = {};
  });
  EXPECT_EQ(float_output.code(), StatusCode::kUnsupported);
  const Status hardswish = build([](ir::Graph& g) { g.nodes[0].fused_activation = ir::Activation::kHardSwish; });
  EXPECT_EQ(hardswish.code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace gramlite::runtime::testing
