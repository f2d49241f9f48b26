// Bias correction (compress/equalization.h): on a layer fed by the data directly and without
// padding, the corrected weight-quantized layer has exactly the float layer's mean output per
// channel on the calibration images (that is its definition); layers kept in float are left alone.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "cle_test_support.h"
#include "gramlite/compress/equalization.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/zoo/zoo.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

using testing::run_over;
using testing::synthetic_images;

std::vector<float> random_values(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Per-channel mean of outputs laid out [images, channels, inner].
std::vector<double> channel_means(const std::vector<float>& y, int64_t channels, int64_t inner) {
  std::vector<double> mean(static_cast<size_t>(channels), 0.0);
  const int64_t images = static_cast<int64_t>(y.size()) / (channels * inner);
  for (int64_t i = 0; i < images; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t k = 0; k < inner; ++k) mean[static_cast<size_t>(c)] += y[static_cast<size_t>((i * channels + c) * inner + k)];
    }
  }
  for (double& m : mean) m /= static_cast<double>(images * inner);
  return mean;
}

double largest_mean_error(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0.0;
  for (size_t c = 0; c < a.size(); ++c) worst = std::max(worst, std::fabs(a[c] - b[c]));
  return worst;
}

// input [N, 3, size, size] -> Conv2d k x k (padding k / 2, `stride`) without bias -> [N, 5, ...].
ir::Graph one_convolution(int k = 1, int64_t size = 6, int stride = 1) {
  ir::Graph g;
  const ir::TensorId x = g.add_value("input", {ir::kDynamicDim, 3, size, size});
  g.inputs.push_back(x);
  // One channel much wider than the others: per-tensor 4-bit weights lose a lot on the rest.
  std::vector<float> w = random_values(static_cast<size_t>(5 * 3 * k * k), 3, 0.1f);
  for (size_t i = 0; i < static_cast<size_t>(3 * k * k); ++i) w[i] *= 20.0f;
  const ir::TensorId weight = g.add_float_constant("conv.weight", {5, 3, k, k}, w);
  ir::Conv2dAttrs attrs;
  attrs.kernel_h = attrs.kernel_w = k;
  attrs.padding = {k / 2, k / 2, k / 2, k / 2};
  attrs.stride_h = attrs.stride_w = stride;
  const ir::TensorId y = g.add_value("conv_out");
  g.add_node({"conv", ir::OpKind::kConv2d, {x, weight}, {y}, attrs, ir::Activation::kNone});
  g.outputs.push_back(y);
  EXPECT_TRUE(ir::update_shapes(g).ok());
  return g;
}

// input [N, 6, 1, 1] -> Flatten -> Linear 6 -> 4 with bias.
ir::Graph one_linear() {
  ir::Graph g;
  const ir::TensorId x = g.add_value("input", {ir::kDynamicDim, 6, 1, 1});
  g.inputs.push_back(x);
  const ir::TensorId flat = g.add_value("flat");
  g.add_node({"flatten", ir::OpKind::kFlatten, {x}, {flat}, ir::FlattenAttrs{1}, ir::Activation::kNone});
  std::vector<float> w = random_values(24, 4, 0.3f);
  w[5] = 8.0f;
  const ir::TensorId weight = g.add_float_constant("fc.weight", {4, 6}, w);
  const ir::TensorId bias = g.add_float_constant("fc.bias", {4}, random_values(4, 5, 1.0f));
  const ir::TensorId y = g.add_value("logits");
  g.add_node({"fc", ir::OpKind::kLinear, {flat, weight, bias}, {y}, {}, ir::Activation::kNone});
  g.outputs.push_back(y);
  EXPECT_TRUE(ir::update_shapes(g).ok());
  return g;
}

Int8Options coarse_per_tensor() {
  Int8Options options;
  options.per_tensor_weights = true;
  options.weight_bits = 4;  // large, visible errors
  return options;
}

// A 1x1 convolution reads every position with the same weights: E[x] per channel is then exactly
// what enters the mean output, and the correction is exact.
TEST(BiasCorrection, PointwiseConvolutionMeanOutputMatchesTheFloatLayerExactly) {
  const ir::Graph float_graph = one_convolution();
  const CalibrationSet set = synthetic_images(3, 6, 12, 4, 17);
  const Int8Options options = coarse_per_tensor();
  const std::vector<double> float_mean = channel_means(run_over(float_graph, set), 5, 36);

  auto plain = fake_quantize_weights(float_graph, options);
  ASSERT_TRUE(plain.ok());
  const double error_before = largest_mean_error(float_mean, channel_means(run_over(plain.value(), set), 5, 36));

  ir::Graph corrected = float_graph;
  auto count = correct_bias(corrected, set, options, nullptr);
  ASSERT_TRUE(count.ok()) << count.status().message();
  EXPECT_EQ(count.value(), 1);
  // The layer had no bias: it has one now, under the layer's name, and the graph is valid.
  const ir::Node& conv = corrected.nodes.at(0);
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_EQ(corrected.tensor(conv.inputs[2]).name, "conv.bias");
  EXPECT_TRUE(ir::validate(corrected).ok()) << ir::validate(corrected).message();

  auto quantized = fake_quantize_weights(corrected, options);
  ASSERT_TRUE(quantized.ok());
  const double error_after = largest_mean_error(float_mean, channel_means(run_over(quantized.value(), set), 5, 36));
  std::printf("[bias] 1x1 conv, 4-bit per-tensor weights: largest per-channel mean error %.4g -> %.4g\n",
              error_before, error_after);
  EXPECT_GT(error_before, 1e-3);
  EXPECT_LT(error_after, 1e-6 + 1e-4 * error_before);
}

// A 3x3 convolution with padding, and strided: border taps read zeros, which the per-tap means
// account for, so the correction stays exact (the paper's per-channel E[x] would leave the border
// part of the error).
TEST(BiasCorrection, PaddedAndStridedConvolutionMeanOutputMatchesTheFloatLayerExactly) {
  for (int stride : {1, 2}) {
    const ir::Graph float_graph = one_convolution(3, 7, stride);
    const int64_t out = stride == 1 ? 49 : 16;
    const CalibrationSet set = synthetic_images(3, 7, 12, 4, 19);
    const Int8Options options = coarse_per_tensor();
    const std::vector<double> float_mean = channel_means(run_over(float_graph, set), 5, out);
    auto plain = fake_quantize_weights(float_graph, options);
    ASSERT_TRUE(plain.ok());
    const double error_before = largest_mean_error(float_mean, channel_means(run_over(plain.value(), set), 5, out));
    ir::Graph corrected = float_graph;
    ASSERT_TRUE(correct_bias(corrected, set, options, nullptr).ok());
    auto quantized = fake_quantize_weights(corrected, options);
    ASSERT_TRUE(quantized.ok());
    const double error_after = largest_mean_error(float_mean, channel_means(run_over(quantized.value(), set), 5, out));
    std::printf("[bias] padded 3x3 conv, stride %d, 4-bit per-tensor weights: largest per-channel mean error "
                "%.4g -> %.4g\n", stride, error_before, error_after);
    EXPECT_GT(error_before, 1e-3);
    EXPECT_LT(error_after, 1e-6 + 1e-4 * error_before) << stride;
  }
}

// Depthwise (multiplier 2) and grouped convolutions: each output channel's correction reads only
// the input channels of its own group.
TEST(BiasCorrection, DepthwiseAndGroupedConvolutionsAreExactToo) {
  for (int groups : {3, 6}) {  // 6 input channels: groups 6 is depthwise, 3 is two channels a group
    ir::Graph g;
    const ir::TensorId x = g.add_value("input", {ir::kDynamicDim, 6, 7, 7});
    g.inputs.push_back(x);
    std::vector<float> w = random_values(static_cast<size_t>(12 * (6 / groups) * 9), 7, 0.1f);
    for (size_t i = 0; i < w.size() / 4; ++i) w[i] *= 30.0f;  // a few wide channels
    const ir::TensorId weight = g.add_float_constant("dw.weight", {12, 6 / groups, 3, 3}, w);
    const ir::TensorId bias = g.add_float_constant("dw.bias", {12}, random_values(12, 8, 0.5f));
    ir::Conv2dAttrs attrs;
    attrs.kernel_h = attrs.kernel_w = 3;
    attrs.padding = {1, 1, 1, 1};
    attrs.groups = groups;
    const ir::TensorId y = g.add_value("dw_out");
    g.add_node({"dw", ir::OpKind::kConv2d, {x, weight, bias}, {y}, attrs, ir::Activation::kNone});
    g.outputs.push_back(y);
    ASSERT_TRUE(ir::update_shapes(g).ok());
    // Channel means far from zero and different per channel: a wrong group would show.
    CalibrationSet set = synthetic_images(6, 7, 8, 4, 53);
    for (auto& batch : set.batches) {
      for (size_t i = 0; i < batch.size(); ++i) batch[i] += static_cast<float>((i / 49) % 6);
    }
    const Int8Options options = coarse_per_tensor();
    const std::vector<double> float_mean = channel_means(run_over(g, set), 12, 49);
    const double error_before =
        largest_mean_error(float_mean, channel_means(run_over(fake_quantize_weights(g, options).value(), set), 12, 49));
    ir::Graph corrected = g;
    ASSERT_TRUE(correct_bias(corrected, set, options, nullptr).ok());
    const double error_after = largest_mean_error(
        float_mean, channel_means(run_over(fake_quantize_weights(corrected, options).value(), set), 12, 49));
    EXPECT_GT(error_before, 1e-2) << groups;
    EXPECT_LT(error_after, 1e-6 + 1e-4 * error_before) << groups;
  }
}

TEST(BiasCorrection, LinearMeanOutputMatchesTheFloatLayerExactly) {
  const ir::Graph float_graph = one_linear();
  const CalibrationSet set = synthetic_images(6, 1, 20, 8, 23);
  const Int8Options options = coarse_per_tensor();
  const std::vector<double> float_mean = channel_means(run_over(float_graph, set), 4, 1);
  auto plain = fake_quantize_weights(float_graph, options);
  ASSERT_TRUE(plain.ok());
  const double error_before = largest_mean_error(float_mean, channel_means(run_over(plain.value(), set), 4, 1));

  ir::Graph corrected = float_graph;
  ASSERT_TRUE(correct_bias(corrected, set, options, nullptr).ok());
  EXPECT_EQ(corrected.tensors.size(), float_graph.tensors.size());  // had a bias: none added
  auto quantized = fake_quantize_weights(corrected, options);
  ASSERT_TRUE(quantized.ok());
  const double error_after = largest_mean_error(float_mean, channel_means(run_over(quantized.value(), set), 4, 1));
  EXPECT_GT(error_before, 1e-3);
  EXPECT_LT(error_after, 1e-6 + 1e-4 * error_before);
}

TEST(BiasCorrection, PerChannelWeightsNeedLessCorrectionThanPerTensor) {
  const ir::Graph float_graph = one_convolution();
  const CalibrationSet set = synthetic_images(3, 6, 8, 4, 29);
  const auto shift = [&](const Int8Options& options) {
    ir::Graph g = float_graph;
    EXPECT_TRUE(correct_bias(g, set, options, nullptr).ok());
    const ir::Tensor& bias = g.tensor(g.nodes[0].inputs.at(2));
    double sum = 0.0;
    for (int64_t c = 0; c < bias.element_count(); ++c) sum += std::fabs(bias.data.as<float>()[c]);
    return sum;
  };
  Int8Options per_channel;
  per_channel.weight_bits = 4;
  EXPECT_LT(shift(per_channel), shift(coarse_per_tensor()));
}

TEST(BiasCorrection, KeepFloatLayersAreLeftAloneAndBadSetsRefused) {
  ir::Graph g = one_linear();
  Int8Options options = coarse_per_tensor();
  options.keep_float = {"fc"};
  const CalibrationSet set = synthetic_images(6, 1, 4, 4, 31);
  auto count = correct_bias(g, set, options, nullptr);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count.value(), 0);
  const ir::Graph original = one_linear();
  const ir::Tensor& bias = g.tensor(g.nodes[1].inputs[2]);
  EXPECT_EQ(std::memcmp(bias.data.data(), original.tensor(original.nodes[1].inputs[2]).data.data(), bias.data.size()), 0);

  const CalibrationSet empty;
  EXPECT_EQ(correct_bias(g, empty, Int8Options{}, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(BiasCorrection, RunsOnAThreadPoolWithTheSameResult) {
  const CalibrationSet set = synthetic_images(3, 6, 8, 4, 37);
  ir::Graph a = one_convolution();
  ir::Graph b = one_convolution();
  ThreadPool pool(2);
  ASSERT_TRUE(correct_bias(a, set, coarse_per_tensor(), nullptr).ok());
  ASSERT_TRUE(correct_bias(b, set, coarse_per_tensor(), &pool).ok());
  const ir::Tensor& ba = a.tensor(a.nodes[0].inputs[2]);
  const ir::Tensor& bb = b.tensor(b.nodes[0].inputs[2]);
  for (int64_t c = 0; c < 5; ++c) EXPECT_NEAR(ba.data.as<float>()[c], bb.data.as<float>()[c], 1e-5);
}

// fake_quantize_weights, which bias correction's W_q comes from, rounds exactly as the converter
// does: the dynamic-range conversion's int8 weights, dequantized, are the same floats, bit for bit,
// per channel and per tensor, 8 and 7 bits, on every weight of a zoo model.
TEST(FakeQuantizeWeights, MatchesTheConvertersWeightsBitForBit) {
  zoo::BuildOptions build;
  build.num_classes = 4;
  build.input_size = 32;
  auto built = zoo::build("mobilenet_v2", build);
  ASSERT_TRUE(built.ok());
  auto prepared = prepare_for_quantization(built.value());
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  for (bool per_tensor : {false, true}) {
    for (int bits : {8, 7}) {
      Int8Options options;
      options.per_tensor_weights = per_tensor;
      options.weight_bits = bits;
      auto simulated = fake_quantize_weights(prepared.value(), options);
      auto converted = convert_to_dynamic(prepared.value(), options);
      ASSERT_TRUE(simulated.ok() && converted.ok()) << converted.status().message();
      int compared = 0;
      for (const ir::Node& node : prepared.value().nodes) {
        if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
        const std::string& name = prepared.value().tensor(node.inputs[1]).name;
        const ir::Tensor& f = simulated.value().tensor(*simulated.value().find_tensor(name));
        const ir::Tensor& q = converted.value().tensor(*converted.value().find_tensor(name));
        ASSERT_EQ(q.dtype, ir::DType::kInt8) << name;
        const int64_t per_channel = q.element_count() / q.shape[0];
        for (int64_t i = 0; i < q.element_count(); ++i) {
          const float scale = q.quant.scales[q.quant.scales.size() == 1 ? 0 : static_cast<size_t>(i / per_channel)];
          ASSERT_EQ(f.data.as<float>()[i], ir::dequantize_value(q.data.as<int8_t>()[i], scale, 0))
              << name << " [" << i << "] per_tensor " << per_tensor << " bits " << bits;
        }
        ++compared;
      }
      EXPECT_GT(compared, 50);
    }
  }
}

}  // namespace
}  // namespace gramlite::compress
