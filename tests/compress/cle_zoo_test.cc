// The zoo-wide tests of equalization and bias correction (slow: every architecture, with batch-norm
// statistics measured on images): the float function kept, and what the two fixes buy a
// per-tensor MobileNet, measured.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "cle_test_support.h"
#include "gramlite/compress/equalization.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

using testing::max_relative_difference;
using testing::range_mismatch;
using testing::run_over;
using testing::synthetic_images;

// ---- the zoo --------------------------------------------------------------------------------

// Every zoo model computes the same function after equalization: exactly with ReLU6 pairs
// skipped, and exactly that of the model with the replaced ReLU6s as ReLUs with the paper's policy.
TEST(EqualizationZoo, EveryModelKeepsItsOutputs) {
  for (const auto& info : zoo::list_architectures()) {
    const ir::Graph prepared = testing::prepared_zoo_model(info.name, 5);
    const CalibrationSet images = synthetic_images(3, testing::input_size_of(prepared), 4, 2, 99);
    const std::vector<float> before = run_over(prepared, images);

    ir::Graph skip = prepared;
    EqualizationOptions options;
    options.relu6 = Relu6Policy::kSkip;
    auto result = equalize_cross_layer(skip, options);
    ASSERT_TRUE(result.ok()) << info.name << ": " << result.status().message();
    EXPECT_TRUE(ir::validate(skip).ok()) << info.name;
    const double skip_difference = max_relative_difference(before, run_over(skip, images));
    EXPECT_LT(skip_difference, 1e-4) << info.name;

    ir::Graph replaced = prepared;
    auto replaced_result = equalize_cross_layer(replaced, EqualizationOptions{});
    ASSERT_TRUE(replaced_result.ok()) << info.name;
    ir::Graph relu_reference = prepared;
    for (size_t n = 0; n < prepared.nodes.size(); ++n) {
      relu_reference.nodes[n].fused_activation = replaced.nodes[n].fused_activation;
    }
    const double replaced_difference = max_relative_difference(run_over(relu_reference, images),
                                                               run_over(replaced, images));
    EXPECT_LT(replaced_difference, 1e-4) << info.name;
    const double relu6_effect = max_relative_difference(before, run_over(replaced, images));
    std::printf("[cle] %-18s pairs %3d (ReLU6 skipped) / %3d (ReLU6 -> ReLU, %d replaced), sweeps %d, "
                "max rel. output change %.2e / %.2e, of which the ReLU6 change %.2e\n",
                info.name.c_str(), result.value().pairs, replaced_result.value().pairs, replaced_result.value().relu6_replaced,
                replaced_result.value().sweeps, skip_difference, replaced_difference, relu6_effect);
    if (info.name == "resnet50" || info.name == "inception_v3") {
      EXPECT_GT(result.value().pairs, 10) << info.name;
    }
    if (info.name == "mobilenet_v1" || info.name == "mobilenet_v2") {
      EXPECT_GT(replaced_result.value().pairs, 20) << info.name;
      // Equal ranges on both sides of every depthwise convolution afterwards.
      for (const ir::Node& node : replaced.nodes) {
        if (node.kind != ir::OpKind::kConv2d || node.attr<ir::Conv2dAttrs>().groups == 1) continue;
        const auto consumers = replaced.consumers();
        const int next = consumers[static_cast<size_t>(node.outputs[0])].at(0);
        EXPECT_LT(range_mismatch(replaced, node.name, replaced.nodes[static_cast<size_t>(next)].name), 0.02)
            << info.name << " " << node.name;
      }
    }
  }
}

// The point of it: per-tensor weight quantization of a MobileNet (simulated: weights quantized and
// dequantized per tensor, computation in float) loses much less after equalization. SQNR of the
// logits against the float model's own (unequalized) logits.
TEST(EqualizationZoo, PerTensorWeightErrorOfMobileNetsDrops) {
  Int8Options per_tensor;
  per_tensor.per_tensor_weights = true;
  for (const std::string arch : {"mobilenet_v2", "mobilenet_v1"}) {
    const ir::Graph prepared = testing::prepared_zoo_model(arch, 21);
    const CalibrationSet images = synthetic_images(3, testing::input_size_of(prepared), 16, 8, 123);
    const std::vector<float> reference = run_over(prepared, images);
    auto plain = fake_quantize_weights(prepared, per_tensor);
    ASSERT_TRUE(plain.ok()) << plain.status().message();
    const double before = testing::sqnr(reference, run_over(plain.value(), images));

    ir::Graph equalized = prepared;
    ASSERT_TRUE(equalize_cross_layer(equalized).ok());
    auto quantized = fake_quantize_weights(equalized, per_tensor);
    ASSERT_TRUE(quantized.ok());
    const double after = testing::sqnr(reference, run_over(quantized.value(), images));
    auto per_channel = fake_quantize_weights(prepared, Int8Options{});
    ASSERT_TRUE(per_channel.ok());
    const double channel = testing::sqnr(reference, run_over(per_channel.value(), images));
    std::printf("[cle] %s per-tensor int8 weights, logits SQNR: plain %.2f dB, equalized %.2f dB "
                "(per-channel, for scale: %.2f dB)\n", arch.c_str(), before, after, channel);
    EXPECT_GT(after, before + 3.0) << arch;
  }
}


// Per-channel mean of every Conv2d / Linear output of `graph` over `set`, by node name.
std::map<std::string, std::vector<double>> layer_output_means(const ir::Graph& graph, const CalibrationSet& set) {
  std::map<std::string, std::vector<double>> sums;
  std::map<std::string, double> counts;
  runtime::SessionOptions options;
  options.optimize = false;
  options.node_observer = [&](const runtime::NodeOutput& out) {
    const ir::Node& node = graph.nodes[out.node];
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) return;
    const ir::Shape& shape = *out.shape;
    const int64_t channels = shape[1];
    int64_t inner = 1;
    for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
    std::vector<double>& sum = sums[node.name];
    sum.resize(static_cast<size_t>(channels), 0.0);
    const auto* data = static_cast<const float*>(out.data);
    for (int64_t i = 0; i < shape[0]; ++i) {
      for (int64_t c = 0; c < channels; ++c) {
        for (int64_t k = 0; k < inner; ++k) sum[static_cast<size_t>(c)] += data[(i * channels + c) * inner + k];
      }
    }
    counts[node.name] += static_cast<double>(shape[0] * inner);
  };
  auto session = runtime::Session::create(std::make_shared<ir::Graph>(graph), options);
  EXPECT_TRUE(session.ok());
  int64_t per_image = 1;
  for (int64_t d : set.image_shape) per_image *= d;
  for (const auto& batch : set.batches) {
    EXPECT_TRUE(session.value()->reshape(static_cast<int64_t>(batch.size()) / per_image).ok());
    EXPECT_TRUE(session.value()->run({batch}).ok());
  }
  for (auto& [name, sum] : sums) {
    for (double& s : sum) s /= counts[name];
  }
  return sums;
}

double mean_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double total = 0.0;
  for (size_t c = 0; c < a.size(); ++c) total += std::fabs(a[c] - b[c]);
  return total / static_cast<double>(a.size());
}

// Bias correction measured on held-out images (not the calibration set): the per-channel mean
// error of each layer's output, weight-quantized (per tensor) against float, shrinks, at the
// logits and in most layers; and equalization + bias correction beats plain per-tensor weights.
TEST(BiasCorrectionZoo, PerTensorMobileNetsMeanErrorShrinksAndSqnrRises) {
  Int8Options per_tensor;
  per_tensor.per_tensor_weights = true;
  for (const std::string arch : {"mobilenet_v2", "mobilenet_v1"}) {
    const ir::Graph prepared = testing::prepared_zoo_model(arch, 31);
    const int64_t size = testing::input_size_of(prepared);
    const CalibrationSet calibration = synthetic_images(3, size, 32, 8, 500);
    const CalibrationSet held_out = synthetic_images(3, size, 16, 8, 600);
    const auto float_means = layer_output_means(prepared, held_out);
    const std::vector<float> reference = run_over(prepared, held_out);

    auto plain = fake_quantize_weights(prepared, per_tensor);
    ASSERT_TRUE(plain.ok());
    ir::Graph corrected = prepared;
    auto count = correct_bias(corrected, calibration, per_tensor, nullptr);
    ASSERT_TRUE(count.ok()) << count.status().message();
    auto corrected_q = fake_quantize_weights(corrected, per_tensor);
    ASSERT_TRUE(corrected_q.ok());
    const auto plain_means = layer_output_means(plain.value(), held_out);
    const auto corrected_means = layer_output_means(corrected_q.value(), held_out);
    int better = 0, layers = 0;
    double plain_total = 0.0, corrected_total = 0.0;
    for (const auto& [name, mean] : float_means) {
      const double before = mean_abs_difference(mean, plain_means.at(name));
      const double after = mean_abs_difference(mean, corrected_means.at(name));
      plain_total += before;
      corrected_total += after;
      better += after < before ? 1 : 0;
      ++layers;
    }
    const std::string logits = prepared.nodes.back().name;  // the classifier: the last layer
    const double logits_before = mean_abs_difference(float_means.at(logits), plain_means.at(logits));
    const double logits_after = mean_abs_difference(float_means.at(logits), corrected_means.at(logits));

    ir::Graph both = prepared;
    ASSERT_TRUE(equalize_cross_layer(both).ok());
    ir::Graph equalized_only = both;
    ASSERT_TRUE(correct_bias(both, calibration, per_tensor, nullptr).ok());
    const double sqnr_plain = testing::sqnr(reference, run_over(plain.value(), held_out));
    const double sqnr_corrected = testing::sqnr(reference, run_over(corrected_q.value(), held_out));
    const double sqnr_equalized = testing::sqnr(reference, run_over(fake_quantize_weights(equalized_only, per_tensor).value(), held_out));
    const double sqnr_both = testing::sqnr(reference, run_over(fake_quantize_weights(both, per_tensor).value(), held_out));
    std::printf("[bias] %s per-tensor int8 weights, %d layers corrected; held-out mean |E[y_q - y]| per channel: "
                "logits %.4g -> %.4g, all layers (mean) %.4g -> %.4g, smaller in %d of %d layers\n",
                arch.c_str(), count.value(), logits_before, logits_after, plain_total / layers, corrected_total / layers,
                better, layers);
    std::printf("[bias] %s per-tensor int8 weights, held-out logits SQNR: plain %.2f dB, bias corrected %.2f dB, "
                "equalized %.2f dB, equalized + bias corrected %.2f dB\n",
                arch.c_str(), sqnr_plain, sqnr_corrected, sqnr_equalized, sqnr_both);
    EXPECT_LT(logits_after, logits_before) << arch;
    EXPECT_LT(corrected_total, plain_total) << arch;
    EXPECT_GT(better, layers * 3 / 4) << arch;
    EXPECT_GT(sqnr_both, sqnr_plain + 3.0) << arch;
  }
}

}  // namespace
}  // namespace gramlite::compress
