// Concrete channel mappings on small zoo-like graphs: concat offsets, depthwise, Add/Mul
// coupling with broadcast, flatten blocks, and the opaque cases.
#include "gramlite/ir/channel_mapping.h"

#include <gtest/gtest.h>

#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"
#include "test_graphs.h"

namespace gramlite::ir {
namespace {

// The mapping of node `name` in `graph` at batch 1.
ChannelMapping mapping_of(const Graph& graph, const std::string& name) {
  EXPECT_TRUE(validate(graph).ok()) << validate(graph).message();
  auto shapes = infer_shapes_for_batch(graph, 1);
  EXPECT_TRUE(shapes.ok()) << shapes.status().message();
  const auto index = graph.find_node(name);
  EXPECT_TRUE(index.has_value()) << name;
  const Node& node = graph.nodes[static_cast<size_t>(*index)];
  std::vector<Shape> in;
  for (TensorId id : node.inputs) in.push_back((*shapes)[static_cast<size_t>(id)]);
  auto m = channel_mapping(node, in, (*shapes)[static_cast<size_t>(node.outputs[0])]);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : ChannelMapping{};
}

void expect_link(const InputChannels& in, ChannelLink link, int64_t channels, int64_t offset = 0, int64_t block = 1) {
  EXPECT_EQ(channel_link_name(in.link), std::string(channel_link_name(link)));
  EXPECT_EQ(in.channels, channels);
  EXPECT_EQ(in.offset, offset);
  EXPECT_EQ(in.block, block);
}

TEST(ChannelMapping, ConcatPlacesInputsAtRunningOffsets) {
  const ChannelMapping m = mapping_of(testing::inception_like(), "mixed");
  EXPECT_EQ(m.rule, ChannelRule::kConcat);
  EXPECT_EQ(m.output_channels, 12);
  ASSERT_EQ(m.inputs.size(), 3u);
  expect_link(m.inputs[0], ChannelLink::kMapped, 3, 0);
  expect_link(m.inputs[1], ChannelLink::kMapped, 5, 3);
  expect_link(m.inputs[2], ChannelLink::kMapped, 4, 8);
}

TEST(ChannelMapping, ConcatOnAnotherAxisSharesChannels) {
  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 4, 3});
  const TensorId y = m.add("cat", OpKind::kConcat, {x, x}, ConcatAttrs{-1});
  const ChannelMapping mapping = mapping_of(m.finish(y), "cat");
  EXPECT_EQ(mapping.output_channels, 4);
  expect_link(mapping.inputs[0], ChannelLink::kMapped, 4, 0);
  expect_link(mapping.inputs[1], ChannelLink::kMapped, 4, 0);
}

TEST(ChannelMapping, ConvolutionsDenseAndDepthwise) {
  const Graph g = testing::mobilenet_v1_like();
  const ChannelMapping dense = mapping_of(g, "conv_pw_1");
  EXPECT_EQ(dense.rule, ChannelRule::kConvolution);
  EXPECT_EQ(dense.output_channels, 16);
  expect_link(dense.inputs[0], ChannelLink::kContracted, 8);
  expect_link(dense.inputs[1], ChannelLink::kPerOutput, 16);
  const ChannelMapping depthwise = mapping_of(g, "conv_dw_1");
  EXPECT_EQ(depthwise.output_channels, 8);
  expect_link(depthwise.inputs[0], ChannelLink::kMapped, 8, 0, 1);  // depthwise: in = out
  expect_link(depthwise.inputs[1], ChannelLink::kPerOutput, 8);
  const ChannelMapping head = mapping_of(g, "conv_preds");
  ASSERT_EQ(head.inputs.size(), 3u);
  expect_link(head.inputs[2], ChannelLink::kPerOutput, 5);  // bias
}

TEST(ChannelMapping, DepthwiseWithMultiplierAndGroupedConvolution) {
  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 4, 5, 5});
  const TensorId dw = m.conv("dw", x, 4, 8, 3, /*groups=*/4);      // weight [8, 1, 3, 3]: multiplier 2
  const TensorId grouped = m.conv("grouped", dw, 8, 4, 1, /*groups=*/2);  // weight [4, 4, 1, 1]
  const Graph g = m.finish(grouped);
  expect_link(mapping_of(g, "dw").inputs[0], ChannelLink::kMapped, 4, 0, 2);
  expect_link(mapping_of(g, "grouped").inputs[0], ChannelLink::kContracted, 8);
}

TEST(ChannelMapping, AddAndMulCoupleChannelsAndBroadcastSizeOne) {
  const Graph g = testing::inverted_residual_se_like();
  const ChannelMapping add = mapping_of(g, "block.add");
  EXPECT_EQ(add.rule, ChannelRule::kCoupled);
  expect_link(add.inputs[0], ChannelLink::kMapped, 8);
  expect_link(add.inputs[1], ChannelLink::kMapped, 8);
  // Squeeze-excitation: the [N, 16, 1, 1] scales are tied to the 16 channels they scale.
  const ChannelMapping se = mapping_of(g, "block.se.scale");
  expect_link(se.inputs[0], ChannelLink::kMapped, 16);
  expect_link(se.inputs[1], ChannelLink::kMapped, 16);

  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 6, 2, 2});
  const TensorId scalar = m.graph.add_float_constant("scalar", {1}, {2.0f});
  const TensorId per_channel = m.graph.add_float_constant("per_channel", {6, 1, 1}, std::vector<float>(6, 1.0f));
  const TensorId one_channel = m.graph.add_float_constant("one_channel", {1, 1, 2, 2}, std::vector<float>(4, 1.0f));
  TensorId y = m.add("times_scalar", OpKind::kMul, {x, scalar});
  y = m.add("plus_per_channel", OpKind::kAdd, {y, per_channel});
  y = m.add("plus_one_channel", OpKind::kAdd, {one_channel, y});
  const Graph small = m.finish(y);
  const ChannelMapping times = mapping_of(small, "times_scalar");
  expect_link(times.inputs[0], ChannelLink::kMapped, 6);
  expect_link(times.inputs[1], ChannelLink::kBroadcast, 1);  // rank 1: no channel dim
  expect_link(mapping_of(small, "plus_per_channel").inputs[1], ChannelLink::kMapped, 6);
  const ChannelMapping plus_one = mapping_of(small, "plus_one_channel");
  expect_link(plus_one.inputs[0], ChannelLink::kBroadcast, 1);
  expect_link(plus_one.inputs[1], ChannelLink::kMapped, 6);
}

TEST(ChannelMapping, FlattenMapsEachChannelToABlock) {
  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 4, 2, 3});
  const TensorId f = m.add("flatten", OpKind::kFlatten, {x}, FlattenAttrs{1});
  const TensorId f2 = m.add("flatten2", OpKind::kFlatten, {x}, FlattenAttrs{2});
  Graph g = m.finish(f);
  g.outputs.push_back(f2);
  const ChannelMapping flat = mapping_of(g, "flatten");
  EXPECT_EQ(flat.rule, ChannelRule::kFlatten);
  EXPECT_EQ(flat.output_channels, 24);
  expect_link(flat.inputs[0], ChannelLink::kMapped, 4, 0, 6);
  // Flattening from axis 2 moves the channels into dim 0: nothing to follow.
  expect_link(mapping_of(g, "flatten2").inputs[0], ChannelLink::kOpaque, 4);
  // After a global pool the block is 1 (MobileNetV2's classifier input).
  expect_link(mapping_of(testing::inverted_residual_se_like(), "flatten").inputs[0], ChannelLink::kMapped, 8, 0, 1);
}

TEST(ChannelMapping, PassThroughBatchNormPadAndOpaqueOps) {
  const Graph v1 = testing::mobilenet_v1_like();
  const ChannelMapping bn = mapping_of(v1, "conv1_bn");
  EXPECT_EQ(bn.rule, ChannelRule::kPassThrough);
  ASSERT_EQ(bn.inputs.size(), 5u);
  expect_link(bn.inputs[0], ChannelLink::kMapped, 8);
  for (size_t i = 1; i < 5; ++i) expect_link(bn.inputs[i], ChannelLink::kPerOutput, 8);
  expect_link(mapping_of(v1, "global_average_pooling2d").inputs[0], ChannelLink::kMapped, 16);
  const ChannelMapping reshape = mapping_of(v1, "reshape_2");
  EXPECT_EQ(reshape.rule, ChannelRule::kOpaque);
  EXPECT_EQ(reshape.inputs[0].link, ChannelLink::kOpaque);
  EXPECT_EQ(mapping_of(v1, "predictions").inputs[0].link, ChannelLink::kOpaque);

  testing::GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 3, 4, 4});
  const TensorId y = m.add("pad", OpKind::kPad, {x}, PadAttrs{{0, 2, 1, 1, 0, 1, 1, 1}, 0.0f});
  const ChannelMapping pad = mapping_of(m.finish(y), "pad");
  EXPECT_EQ(pad.output_channels, 6);
  expect_link(pad.inputs[0], ChannelLink::kMapped, 3, 2);  // two channels padded in front
}

TEST(ChannelMapping, LinearContractsFeaturesAndRejectsWrongShapeCounts) {
  const Graph g = testing::inverted_residual_se_like();
  const ChannelMapping fc = mapping_of(g, "fc");
  EXPECT_EQ(fc.rule, ChannelRule::kLinear);
  EXPECT_EQ(fc.output_channels, 3);
  expect_link(fc.inputs[0], ChannelLink::kContracted, 8);
  expect_link(fc.inputs[1], ChannelLink::kPerOutput, 3);
  expect_link(fc.inputs[2], ChannelLink::kPerOutput, 3);
  const Node& node = g.nodes[static_cast<size_t>(*g.find_node("fc"))];
  auto bad = channel_mapping(node, {{1, 8}}, {1, 3});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'fc'"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace gramlite::ir
