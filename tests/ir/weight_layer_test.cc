// Weight layers (Conv2d / Linear + the BatchNorm right after it) on small zoo-like graphs; the
// counts for the real zoo models are checked in tests/zoo/weight_layers_test.cc.
#include "gramlite/ir/weight_layer.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace gramlite::ir {
namespace {

std::string name_of(const Graph& g, int node) { return node < 0 ? "-" : g.nodes[static_cast<size_t>(node)].name; }

std::vector<std::string> names(const Graph& g, const std::vector<TensorId>& ids) {
  std::vector<std::string> out;
  for (TensorId id : ids) out.push_back(g.tensor(id).name);
  return out;
}

// "conv/bn" per layer, in order.
std::vector<std::string> describe(const Graph& g) {
  std::vector<std::string> out;
  for (const WeightLayer& layer : find_weight_layers(g)) out.push_back(name_of(g, layer.node) + "/" + name_of(g, layer.batch_norm));
  return out;
}

TEST(WeightLayer, KerasMobileNetLike) {
  const Graph g = testing::mobilenet_v1_like();
  EXPECT_EQ(describe(g), (std::vector<std::string>{"conv1/conv1_bn", "conv_dw_1/conv_dw_1_bn",
                                                   "conv_pw_1/conv_pw_1_bn", "conv_preds/-"}));
  const std::vector<WeightLayer> layers = find_weight_layers(g);
  EXPECT_TRUE(unattached_batch_norms(g, layers).empty());
  EXPECT_EQ(names(g, trainable_parameters(g, layers[1])),
            (std::vector<std::string>{"conv_dw_1.weight", "conv_dw_1_bn.weight", "conv_dw_1_bn.bias"}));
  EXPECT_EQ(names(g, buffer_parameters(g, layers[1])),
            (std::vector<std::string>{"conv_dw_1_bn.running_mean", "conv_dw_1_bn.running_var"}));
  EXPECT_EQ(names(g, trainable_parameters(g, layers[3])), (std::vector<std::string>{"conv_preds.weight", "conv_preds.bias"}));
  EXPECT_TRUE(buffer_parameters(g, layers[3]).empty());
  EXPECT_FALSE(is_depthwise_convolution(g, g.nodes[static_cast<size_t>(layers[0].node)]));
  EXPECT_TRUE(is_depthwise_convolution(g, g.nodes[static_cast<size_t>(layers[1].node)]));
  EXPECT_FALSE(is_depthwise_convolution(g, g.nodes[static_cast<size_t>(layers[2].node)]));
}

TEST(WeightLayer, InvertedResidualWithSqueezeExcitationAndALooseBatchNorm) {
  const Graph g = testing::inverted_residual_se_like();
  EXPECT_EQ(describe(g), (std::vector<std::string>{"block.expand/block.expand.bn", "block.dw/block.dw.bn",
                                                   "block.se.fc1/-", "block.se.fc2/-",
                                                   "block.project/block.project.bn", "fc/-"}));
  const std::vector<WeightLayer> layers = find_weight_layers(g);
  const std::vector<int> loose = unattached_batch_norms(g, layers);
  ASSERT_EQ(loose.size(), 1u);
  EXPECT_EQ(name_of(g, loose[0]), "post.bn");  // follows the Add, not a weight layer
  EXPECT_EQ(names(g, trainable_constants(g, g.nodes[static_cast<size_t>(loose[0])])),
            (std::vector<std::string>{"post.bn.weight", "post.bn.bias"}));
  EXPECT_EQ(names(g, trainable_parameters(g, layers[5])), (std::vector<std::string>{"fc.weight", "fc.bias"}));
}

TEST(WeightLayer, InceptionBranchesInNodeOrder) {
  const Graph g = testing::inception_like();
  EXPECT_EQ(describe(g), (std::vector<std::string>{"branch1x1.conv/branch1x1.bn", "branch5x5.conv/branch5x5.bn",
                                                   "reduce.conv/reduce.bn"}));
}

TEST(WeightLayer, ABatchNormSharingItsInputIsNotAttached) {
  // conv -> (bn, relu): the BatchNorm is not the conv's only reader, so it is not "right after" it.
  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 2, 4, 4});
  const TensorId c = m.conv("conv", x, 2, 3);
  const TensorId b = m.bn("bn", c, 3);
  const TensorId r = m.add("relu", OpKind::kRelu, {c});
  const Graph g = m.finish(m.add("sum", OpKind::kAdd, {b, r}));
  EXPECT_EQ(describe(g), (std::vector<std::string>{"conv/-"}));
  const std::vector<WeightLayer> layers = find_weight_layers(g);
  EXPECT_EQ(unattached_batch_norms(g, layers), (std::vector<int>{1}));
  EXPECT_TRUE(buffer_parameters(g, layers[0]).empty());
}

TEST(WeightLayer, KindsFollowTheTable) {
  EXPECT_TRUE(is_weight_layer_kind(OpKind::kConv2d));
  EXPECT_TRUE(is_weight_layer_kind(OpKind::kLinear));
  for (OpKind k : {OpKind::kBatchNorm, OpKind::kAdd, OpKind::kMul, OpKind::kConcat, OpKind::kRelu}) {
    EXPECT_FALSE(is_weight_layer_kind(k)) << op_kind_name(k);
  }
}

}  // namespace
}  // namespace gramlite::ir
