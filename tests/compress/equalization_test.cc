// Cross-layer equalization (compress/equalization.h): the float function is unchanged on every
// zoo model, the equalized pairs' per-channel ranges agree afterwards, and per-tensor weight
// quantization of MobileNets loses less.
#include "gramlite/compress/equalization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "cle_test_support.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

using testing::max_relative_difference;
using testing::range_mismatch;
using testing::run_over;
using testing::synthetic_images;

// ---- a small graph with every kind of pair --------------------------------------------------

// Random weights whose output channels span two orders of magnitude, like folded batch norms.
std::vector<float> uneven_weights(int64_t out, int64_t per_out, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> log_scale(std::log(0.01f), std::log(1.0f));
  std::vector<float> w(static_cast<size_t>(out * per_out));
  for (int64_t o = 0; o < out; ++o) {
    const float scale = std::exp(log_scale(rng));
    for (int64_t k = 0; k < per_out; ++k) w[static_cast<size_t>(o * per_out + k)] = scale * normal(rng);
  }
  return w;
}

struct SmallGraph {
  ir::Graph graph;
  std::mt19937 rng{7};

  ir::TensorId conv(const std::string& name, ir::TensorId x, int64_t in, int64_t out, int k, int groups,
                    ir::Activation act, bool bias = true) {
    const int64_t per_out = in / groups * k * k;
    std::vector<ir::TensorId> inputs = {x, graph.add_float_constant(name + ".weight", {out, in / groups, k, k},
                                                                     uneven_weights(out, per_out, rng))};
    if (bias) inputs.push_back(graph.add_float_constant(name + ".bias", {out}, uneven_weights(out, 1, rng)));
    ir::Conv2dAttrs attrs;
    attrs.kernel_h = attrs.kernel_w = k;
    attrs.padding = {k / 2, k / 2, k / 2, k / 2};
    attrs.groups = groups;
    const ir::TensorId y = graph.add_value(name + "_out");
    graph.add_node({name, ir::OpKind::kConv2d, inputs, {y}, attrs, act});
    return y;
  }
  ir::TensorId linear(const std::string& name, ir::TensorId x, int64_t in, int64_t out, ir::Activation act) {
    std::vector<ir::TensorId> inputs = {x, graph.add_float_constant(name + ".weight", {out, in}, uneven_weights(out, in, rng)),
                                        graph.add_float_constant(name + ".bias", {out}, uneven_weights(out, 1, rng))};
    const ir::TensorId y = graph.add_value(name + "_out");
    graph.add_node({name, ir::OpKind::kLinear, inputs, {y}, {}, act});
    return y;
  }

  SmallGraph() {
    const ir::TensorId x = graph.add_value("input", {ir::kDynamicDim, 4, 8, 8});
    graph.inputs.push_back(x);
    ir::TensorId t = conv("pw1", x, 4, 8, 1, 1, ir::Activation::kRelu);
    t = conv("dw", t, 8, 8, 3, 8, ir::Activation::kRelu);
    t = conv("pw2", t, 8, 6, 1, 1, ir::Activation::kNone);
    t = conv("grouped", t, 6, 6, 3, 2, ir::Activation::kRelu, /*bias=*/false);
    t = conv("c5", t, 6, 4, 1, 1, ir::Activation::kRelu6);
    t = conv("c6", t, 4, 4, 1, 1, ir::Activation::kHardSwish);
    t = conv("c7", t, 4, 4, 1, 1, ir::Activation::kNone);  // after HardSwish: no pair
    const ir::TensorId pooled = graph.add_value("gap_out");
    graph.add_node({"gap", ir::OpKind::kGlobalAvgPool, {t}, {pooled}, {}, ir::Activation::kNone});
    const ir::TensorId flat = graph.add_value("flat_out");
    graph.add_node({"flatten", ir::OpKind::kFlatten, {pooled}, {flat}, ir::FlattenAttrs{1}, ir::Activation::kNone});
    t = linear("fc1", flat, 4, 5, ir::Activation::kRelu);
    t = linear("fc2", t, 5, 3, ir::Activation::kNone);
    graph.outputs.push_back(t);
    EXPECT_TRUE(ir::update_shapes(graph).ok());
    EXPECT_TRUE(ir::validate(graph).ok()) << ir::validate(graph).message();
  }
};

TEST(Equalization, SmallGraphKeepsItsOutputsAndEqualizesEveryPair) {
  SmallGraph small;
  const CalibrationSet images = synthetic_images(4, 8, 6, 3, 1);
  const std::vector<float> before = run_over(small.graph, images);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"pw1", "dw"}, {"dw", "pw2"}, {"pw2", "grouped"}, {"grouped", "c5"}, {"fc1", "fc2"}};
  // Before: the ranges are far apart (that is what the weights were made for).
  for (const auto& [a, b] : pairs) EXPECT_GT(range_mismatch(small.graph, a, b), 1.0) << a << " -> " << b;

  ir::Graph skip = small.graph;
  EqualizationOptions options;
  options.relu6 = Relu6Policy::kSkip;
  options.tolerance = 1e-6;
  auto result = equalize_cross_layer(skip, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result.value().pairs, 5);
  EXPECT_EQ(result.value().relu6_replaced, 0);
  EXPECT_LE(result.value().last_change, 1e-6);
  EXPECT_GT(result.value().sweeps, 1);  // the chain needs more than one sweep
  EXPECT_TRUE(ir::validate(skip).ok()) << ir::validate(skip).message();
  for (const auto& [a, b] : pairs) EXPECT_LT(range_mismatch(skip, a, b), 1e-4) << a << " -> " << b;
  EXPECT_GT(range_mismatch(skip, "c5", "c6"), 1.0);  // joined by ReLU6: skipped
  EXPECT_GT(range_mismatch(skip, "c6", "c7"), 1.0);  // joined by HardSwish: never a pair
  EXPECT_LT(max_relative_difference(before, run_over(skip, images)), 1e-5);

  // The paper's policy: c5's ReLU6 becomes a ReLU and c5 -> c6 is equalized too. The function is
  // that of the graph with the same ReLU, exactly.
  ir::Graph replaced = small.graph;
  options.relu6 = Relu6Policy::kReplaceWithRelu;
  result = equalize_cross_layer(replaced, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result.value().pairs, 6);
  EXPECT_EQ(result.value().relu6_replaced, 1);
  EXPECT_LT(range_mismatch(replaced, "c5", "c6"), 1e-4);
  ir::Graph relu_reference = small.graph;
  relu_reference.nodes[static_cast<size_t>(*relu_reference.find_node("c5"))].fused_activation = ir::Activation::kRelu;
  EXPECT_LT(max_relative_difference(run_over(relu_reference, images), run_over(replaced, images)), 1e-5);
}

TEST(Equalization, LayerWithoutBiasStaysWithoutOneAndBadOptionsAreRefused) {
  SmallGraph small;
  ir::Graph g = small.graph;
  ASSERT_TRUE(equalize_cross_layer(g).ok());
  // "grouped" had no bias; as the first layer of a pair its zero bias scales to zero: none added.
  EXPECT_EQ(g.nodes[static_cast<size_t>(*g.find_node("grouped"))].inputs.size(), 2u);
  EXPECT_EQ(g.tensors.size(), small.graph.tensors.size());
  EqualizationOptions bad;
  bad.max_sweeps = 0;
  EXPECT_EQ(equalize_cross_layer(g, bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gramlite::compress
