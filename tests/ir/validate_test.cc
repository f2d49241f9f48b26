#include "gramlite/ir/validate.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace gramlite::ir {
namespace {

void expect_error_containing(const Status& status, const std::string& fragment) {
  ASSERT_FALSE(status.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
}

TEST(Validate, AcceptsWellFormedGraph) {
  const Graph g = testing::conv_bn_relu_graph();
  const Status s = validate(g);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(Validate, NamesTheNodeWithAWrongInputCount) {
  Graph g = testing::conv_bn_relu_graph();
  g.nodes[*g.find_node("relu")].inputs.push_back(0);
  expect_error_containing(validate(g), "node 'relu' (Relu): has 2 inputs");
}

TEST(Validate, RejectsOutOfRangeTensorIds) {
  Graph g = testing::conv_bn_relu_graph();
  g.nodes[*g.find_node("gap")].inputs[0] = 999;
  expect_error_containing(validate(g), "node 'gap' (GlobalAvgPool): input 0 refers to missing tensor 999");
  g = testing::conv_bn_relu_graph();
  g.outputs = {-5};
  expect_error_containing(validate(g), "graph output refers to missing tensor -5");
}

TEST(Validate, RejectsWrongWeightDataSize) {
  Graph g = testing::conv_bn_relu_graph();
  g.tensor(*g.find_tensor("conv.weight")).data = Buffer::allocate(12);
  expect_error_containing(validate(g), "tensor 'conv.weight' (#1): holds 12 bytes but shape [4, 3, 3, 3] of fp32 needs 432");
}

TEST(Validate, RejectsNonConstantWeights) {
  Graph g = testing::conv_bn_relu_graph();
  const TensorId fake = g.add_value("fake_weight", {2, 4});
  g.nodes[*g.find_node("fc")].inputs[1] = fake;
  expect_error_containing(validate(g), "must be a constant weight");
}

TEST(Validate, RejectsCyclesAndOutOfOrderNodes) {
  Graph g = testing::conv_bn_relu_graph();
  std::swap(g.nodes[0], g.nodes[1]);
  expect_error_containing(validate(g), "node 'bn' (BatchNorm): reads tensor 'conv_out' that no earlier node produces");
  ASSERT_TRUE(sort_topologically(g).ok());
  EXPECT_TRUE(validate(g).ok());
  EXPECT_EQ(g.nodes[0].name, "conv");

  // relu reads its own output through a second node: a cycle.
  g = testing::conv_bn_relu_graph();
  const TensorId relu_out = *g.find_tensor("relu_out");
  g.nodes[*g.find_node("bn")].inputs[0] = relu_out;
  auto order = topological_order(g);
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("cycle"), std::string::npos);
}

TEST(Validate, RejectsTwoProducersAndWrongAttributes) {
  Graph g = testing::conv_bn_relu_graph();
  g.nodes[*g.find_node("relu")].outputs[0] = *g.find_tensor("bn_out");
  expect_error_containing(validate(g), "writes tensor 'bn_out' that is already defined");
  g = testing::conv_bn_relu_graph();
  g.nodes[*g.find_node("conv")].attrs = Pool2dAttrs{};
  expect_error_containing(validate(g), "node 'conv' (Conv2d): carries attributes of another op kind");
  g = testing::conv_bn_relu_graph();
  g.nodes[*g.find_node("gap")].fused_activation = Activation::kRelu;
  expect_error_containing(validate(g), "cannot carry a fused activation");
}

TEST(Validate, ChecksStoredShapesAgainstInference) {
  Graph g = testing::conv_bn_relu_graph();
  g.tensor(*g.find_tensor("conv_out")).shape = {kDynamicDim, 5, 8, 8};
  expect_error_containing(validate(g), "tensor 'conv_out' is stored with shape [N, 5, 8, 8] but its producer computes [N, 4, 8, 8]");
}

TEST(Validate, ChecksQuantizationParameters) {
  Graph g = testing::conv_bn_relu_graph();
  Tensor& w = g.tensor(*g.find_tensor("conv.weight"));
  w.quant.scales = {0.1f, 0.2f, 0.3f};
  w.quant.axis = 0;
  expect_error_containing(validate(g), "per-channel quantization axis does not match the shape");
  w.quant.scales = {0.1f, 0.2f, 0.3f, -1.0f};
  expect_error_containing(validate(g), "scale must be positive");
  w.quant.scales = {0.1f, 0.2f, 0.3f, 0.4f};
  EXPECT_TRUE(validate(g).ok());
}

}  // namespace
}  // namespace gramlite::ir
