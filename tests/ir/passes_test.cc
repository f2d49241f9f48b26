#include "gramlite/ir/passes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gramlite/ir/validate.h"
#include "test_graphs.h"

namespace gramlite::ir {
namespace {

std::vector<float> values_of(const Graph& g, TensorId id) {
  const Tensor& t = g.tensor(id);
  return std::vector<float>(t.data.as<float>(), t.data.as<float>() + t.element_count());
}

TEST(Passes, FoldBatchNormScalesWeightsAndAddsBias) {
  Graph g = testing::conv_bn_relu_graph();
  const std::vector<float> w = values_of(g, *g.find_tensor("conv.weight"));
  auto folded = fold_batch_norm(g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);
  ASSERT_FALSE(g.find_node("bn").has_value());
  const Node& conv = g.nodes[*g.find_node("conv")];
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_EQ(g.tensor(conv.outputs[0]).name, "bn_out");
  const std::vector<float> w2 = values_of(g, conv.inputs[1]);
  const std::vector<float> b2 = values_of(g, conv.inputs[2]);
  const float gamma[] = {1.0f, 0.5f, 2.0f, 1.5f}, beta[] = {0.1f, -0.2f, 0.3f, 0.0f};
  const float mean[] = {0.05f, 0.1f, -0.1f, 0.2f}, var[] = {1.0f, 0.25f, 4.0f, 0.5f};
  for (int o = 0; o < 4; ++o) {
    const double scale = gamma[o] / std::sqrt(static_cast<double>(var[o]) + 1e-5);
    for (int k = 0; k < 27; ++k) EXPECT_NEAR(w2[o * 27 + k], w[o * 27 + k] * scale, 1e-6);
    EXPECT_NEAR(b2[o], -mean[o] * scale + beta[o], 1e-6);
  }
  EXPECT_TRUE(remove_dead_nodes(g).ok());
  EXPECT_TRUE(validate(g).ok()) << validate(g).message();
}

TEST(Passes, FoldBatchNormLeavesSharedOutputsAlone) {
  Graph g = testing::conv_bn_relu_graph();
  g.outputs.push_back(*g.find_tensor("conv_out"));  // conv output is observed: cannot fold
  auto folded = fold_batch_norm(g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 0);
}

TEST(Passes, FuseActivationsAndRemoveIdentities) {
  Graph g = testing::conv_bn_relu_graph();
  auto removed = remove_identity_ops(g);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(g.find_node("drop").has_value());
  EXPECT_EQ(g.nodes[*g.find_node("gap")].inputs[0], *g.find_tensor("relu_out"));
  auto fused = fuse_activations(g);
  ASSERT_TRUE(fused.ok());
  EXPECT_EQ(*fused, 1);
  EXPECT_EQ(g.nodes[*g.find_node("bn")].fused_activation, Activation::kRelu);
  EXPECT_TRUE(validate(g).ok());
}

TEST(Passes, OptimizeForInferenceLeavesConvGapFlattenLinear) {
  Graph g = testing::conv_bn_relu_graph();
  ASSERT_TRUE(optimize_for_inference(g).ok());
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[0].kind, OpKind::kConv2d);
  EXPECT_EQ(g.nodes[0].fused_activation, Activation::kRelu);
  EXPECT_EQ(g.nodes[1].kind, OpKind::kGlobalAvgPool);
  EXPECT_EQ(g.nodes[3].kind, OpKind::kLinear);
  // BN parameters and the intermediate tensors are gone; ids are compact.
  EXPECT_FALSE(g.find_tensor("bn.running_var").has_value());
  EXPECT_FALSE(g.find_tensor("conv_out").has_value());
  for (const Node& n : g.nodes) {
    for (TensorId id : n.inputs) EXPECT_TRUE(g.is_valid_tensor_id(id));
  }
}

TEST(Passes, RemoveDeadNodesDropsUnusedBranches) {
  Graph g = testing::conv_bn_relu_graph();
  // A side branch nobody reads.
  const TensorId side = g.add_value("side");
  g.add_node({"side_sigmoid", OpKind::kSigmoid, {*g.find_tensor("conv_out")}, {side}, {}, Activation::kNone});
  auto removed = remove_dead_nodes(g);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(g.find_tensor("side").has_value());
  EXPECT_TRUE(validate(g).ok());
}

// x [N, T, 3] -> Linear(weight [4, 3]) -> BatchNorm(4) -> y: with T = 4 the BN's channel dim (dim 1)
// has the Linear's feature count by coincidence; only a rank-2 Linear output may be folded.
Graph linear_bn_graph(int64_t middle) {
  Graph g;
  const Shape x_shape = middle > 0 ? Shape{kDynamicDim, middle, 3} : Shape{kDynamicDim, 3};
  const TensorId x = g.add_value("x", x_shape);
  g.inputs = {x};
  const TensorId l = g.add_value("l");
  g.add_node({"fc", OpKind::kLinear, {x, g.add_float_constant("fc.weight", {4, 3}, testing::iota_values(12))}, {l}, {},
              Activation::kNone});
  const TensorId y = g.add_value("y");
  g.add_node({"bn",
              OpKind::kBatchNorm,
              {l, g.add_float_constant("bn.weight", {4}, {1.0f, 2.0f, 3.0f, 4.0f}),
               g.add_float_constant("bn.bias", {4}, {0.0f, 0.1f, 0.2f, 0.3f}),
               g.add_float_constant("bn.mean", {4}, {0.5f, 0.0f, -0.5f, 1.0f}),
               g.add_float_constant("bn.var", {4}, {1.0f, 2.0f, 3.0f, 4.0f})},
              {y},
              BatchNormAttrs{1e-5f},
              Activation::kNone});
  g.outputs = {y};
  return g;
}

TEST(Passes, FoldBatchNormIntoLinearOnlyWhenItsChannelsAreTheFeatures) {
  Graph rank2 = linear_bn_graph(0);
  ASSERT_TRUE(validate(rank2).ok()) << validate(rank2).message();
  auto folded = fold_batch_norm(rank2);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);

  Graph rank3 = linear_bn_graph(4);
  ASSERT_TRUE(validate(rank3).ok()) << validate(rank3).message();
  folded = fold_batch_norm(rank3);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 0);
  EXPECT_TRUE(rank3.find_node("bn").has_value());
}

TEST(Passes, FoldBatchNormLeavesAWeightThatIsAGraphOutputUnchanged) {
  Graph g = testing::conv_bn_relu_graph();
  const TensorId w = *g.find_tensor("conv.weight");
  const std::vector<float> before = values_of(g, w);
  g.outputs.push_back(w);
  auto folded = fold_batch_norm(g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, 1);
  EXPECT_EQ(values_of(g, w), before);  // the graph output still reads the original weights
  const Node& conv = g.nodes[*g.find_node("conv")];
  EXPECT_NE(conv.inputs[1], w);  // the conv reads a folded copy
  EXPECT_TRUE(validate(g).ok()) << validate(g).message();
}

}  // namespace
}  // namespace gramlite::ir
