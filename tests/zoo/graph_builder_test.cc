#include "zoo/graph_builder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gramlite/ir/validate.h"

namespace gramlite::zoo {
namespace {

const ir::Tensor& tensor_named(const ir::Graph& graph, const std::string& name) {
  const auto id = graph.find_tensor(name);
  EXPECT_TRUE(id.has_value()) << "no tensor '" << name << "'";
  static const ir::Tensor kMissing;
  return id ? graph.tensor(*id) : kMissing;
}

std::vector<float> values_of(const ir::Tensor& t) {
  const float* data = t.data.as<float>();
  return std::vector<float>(data, data + t.data.size() / sizeof(float));
}

TEST(GraphBuilder, TorchvisionNamesShapesAndInit) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), 1);
  TensorId x = b.input("input", 3, 32, 32);
  x = b.conv2d("features.0.0", x, Conv(8, 3).stride(2).padding(1));
  x = b.batch_norm("features.0.1", x, 1e-5f);
  x = b.relu6("features.0.2", x);
  TensorId dw = b.conv2d("features.1.0", x, Conv(8, 3).padding(1).groups(8));
  x = b.add("features.1.add", x, dw);
  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x);
  x = b.linear("classifier.1", x, 5);
  b.mark_output(x);
  auto graph = b.finish({});
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  ASSERT_TRUE(ir::validate(*graph).ok()) << ir::validate(*graph).message();

  EXPECT_EQ(tensor_named(*graph, "features.0.0.weight").shape, (ir::Shape{8, 3, 3, 3}));
  EXPECT_EQ(tensor_named(*graph, "features.1.0.weight").shape, (ir::Shape{8, 1, 3, 3}));
  EXPECT_EQ(tensor_named(*graph, "features.0.0").shape, (ir::Shape{ir::kDynamicDim, 8, 16, 16}));
  EXPECT_EQ(tensor_named(*graph, "classifier.1").shape, (ir::Shape{ir::kDynamicDim, 5}));
  EXPECT_EQ(tensor_named(*graph, "classifier.1.weight").shape, (ir::Shape{5, 8}));
  EXPECT_FALSE(graph->find_tensor("features.0.0.bias").has_value());

  // Batch-norm parameters and buffers: 1 / 0 / 0 / 1, as both frameworks initialise them.
  EXPECT_EQ(values_of(tensor_named(*graph, "features.0.1.weight")), std::vector<float>(8, 1.0f));
  EXPECT_EQ(values_of(tensor_named(*graph, "features.0.1.bias")), std::vector<float>(8, 0.0f));
  EXPECT_EQ(values_of(tensor_named(*graph, "features.0.1.running_mean")), std::vector<float>(8, 0.0f));
  EXPECT_EQ(values_of(tensor_named(*graph, "features.0.1.running_var")), std::vector<float>(8, 1.0f));
  EXPECT_EQ(values_of(tensor_named(*graph, "classifier.1.bias")), std::vector<float>(5, 0.0f));

  // Kaiming normal, fan_out = 8 * 9: the sample std of 216 values lies near sqrt(2 / 72) = 0.167.
  const auto w = values_of(tensor_named(*graph, "features.0.0.weight"));
  double sq = 0.0;
  for (float v : w) sq += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(w.size())), 0.1667, 0.03);

  // Node names are the module names; the conv node reads x, weight.
  const auto conv = graph->find_node("features.0.0");
  ASSERT_TRUE(conv.has_value());
  EXPECT_EQ(graph->nodes[static_cast<size_t>(*conv)].kind, ir::OpKind::kConv2d);
  EXPECT_EQ(graph->nodes[static_cast<size_t>(*conv)].inputs.size(), 2u);
}

TEST(GraphBuilder, KerasNames) {
  GraphBuilder b(ParamNaming::kKeras, InitPolicy::keras(), 1);
  TensorId x = b.input("input_1", 3, 16, 16);
  x = b.conv2d("conv1", x, Conv(4, 3).padding(ir::Padding2d{0, 0, 1, 1}).stride(2));
  x = b.batch_norm("conv1_bn", x, 1e-3f);
  x = b.conv2d("conv_dw_1", x, Conv(4, 3).padding(1).groups(4));
  x = b.conv2d("conv_preds", x, Conv(2, 1).bias());
  b.mark_output(x);
  auto graph = b.finish({});
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  for (const char* name : {"conv1/kernel", "conv1_bn/gamma", "conv1_bn/beta", "conv1_bn/moving_mean",
                           "conv1_bn/moving_variance", "conv_dw_1/depthwise_kernel", "conv_preds/kernel",
                           "conv_preds/bias"}) {
    EXPECT_TRUE(graph->find_tensor(name).has_value()) << name;
  }
  // ZeroPadding2D(((0, 1), (0, 1))) + valid 3x3 stride 2 on 16 -> 8.
  EXPECT_EQ(tensor_named(*graph, "conv1").shape, (ir::Shape{ir::kDynamicDim, 4, 8, 8}));
  // Glorot uniform limit for the stem: sqrt(6 / (27 + 36)).
  const double limit = std::sqrt(6.0 / 63.0);
  for (float v : values_of(tensor_named(*graph, "conv1/kernel"))) ASSERT_LE(std::fabs(v), limit);
}

TEST(GraphBuilder, ZeroWeightsWhenRandomWeightsAreOff) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), 1, false);
  TensorId x = b.input("input", 3, 8, 8);
  x = b.conv2d("conv", x, Conv(4, 3));
  x = b.batch_norm("bn", x, 1e-5f);
  b.mark_output(x);
  auto graph = b.finish({});
  ASSERT_TRUE(graph.ok());
  EXPECT_EQ(values_of(tensor_named(*graph, "conv.weight")), std::vector<float>(108, 0.0f));
  EXPECT_EQ(values_of(tensor_named(*graph, "bn.running_var")), std::vector<float>(4, 1.0f));
}

TEST(GraphBuilder, FirstErrorIsStickyAndNamesTheNode) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), 1);
  TensorId x = b.input("input", 3, 4, 4);
  TensorId y = b.conv2d("too_big", x, Conv(4, 7));  // 7x7 kernel on a 4x4 input
  EXPECT_EQ(y, ir::kNoTensor);
  EXPECT_EQ(b.relu("later", y), ir::kNoTensor);
  b.mark_output(y);
  auto graph = b.finish({});
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("too_big"), std::string::npos) << graph.status().message();
}

TEST(GraphBuilder, RejectsDuplicateNames) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), 1);
  TensorId x = b.input("input", 3, 8, 8);
  x = b.relu("act", x);
  x = b.relu("act", x);
  b.mark_output(x);
  auto graph = b.finish({});
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("duplicate"), std::string::npos) << graph.status().message();
}

TEST(GraphBuilder, RejectsBadGroups) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), 1);
  TensorId x = b.input("input", 3, 8, 8);
  x = b.conv2d("grouped", x, Conv(4, 3).groups(2));
  EXPECT_FALSE(b.status().ok());
  EXPECT_NE(b.status().message().find("grouped"), std::string::npos);
}

TEST(GraphBuilder, OtherOps) {
  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_resnet(), 1);
  TensorId x = b.input("input", 3, 9, 9);
  TensorId p = b.pad("pad", x, {0, 0, 0, 0, 0, 0, 1, 1});
  EXPECT_EQ(b.shape(p), (ir::Shape{ir::kDynamicDim, 3, 10, 10}));
  TensorId m = b.max_pool("pool", p, Pool(3).stride(2).ceil_mode());
  EXPECT_EQ(b.shape(m), (ir::Shape{ir::kDynamicDim, 3, 5, 5}));
  TensorId a = b.avg_pool("avg", m, Pool(3).stride(1).padding(1).count_include_pad(false));
  TensorId c = b.concat("cat", {m, a});
  EXPECT_EQ(b.channels(c), 6);
  TensorId s = b.sigmoid("sig", c);
  TensorId h = b.hard_sigmoid("hsig", s);
  TensorId w = b.hard_swish("hswish", h);
  TensorId mu = b.mul("mul", w, b.global_avg_pool("gap", w));
  TensorId r = b.reshape("reshape", mu, {0, -1});
  EXPECT_EQ(b.shape(r), (ir::Shape{ir::kDynamicDim, 150}));
  TensorId d = b.dropout("drop", r, 0.5f);
  TensorId l = b.linear("fc", d, 3);
  TensorId out = b.softmax("softmax", l);
  b.mark_output(out);
  auto graph = b.finish({});
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_TRUE(ir::validate(*graph).ok()) << ir::validate(*graph).message();
  // nn.Linear default init: U(-1/sqrt(150), 1/sqrt(150)) for weight and bias.
  const double bound = 1.0 / std::sqrt(150.0);
  for (float v : values_of(tensor_named(*graph, "fc.bias"))) EXPECT_LE(std::fabs(v), bound);
}

}  // namespace
}  // namespace gramlite::zoo
