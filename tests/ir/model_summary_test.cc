#include "gramlite/ir/model_summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_graphs.h"

namespace gramlite::ir {
namespace {

TEST(ModelSummary, AddsUpTheGraphsCountsAndLayers) {
  Graph g = testing::conv_bn_relu_graph();
  std::vector<float> w(108, 0.0f);
  w[3] = 1.0f;
  g.tensor(*g.find_tensor("conv.weight")).data = Buffer::copy_of(w.data(), w.size() * 4);
  g.metadata.class_names = {"a", "b"};
  auto summary = summarize_model(g);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->parameters.trainable, 108 + 4 + 4 + 8 + 2);
  EXPECT_EQ(summary->parameters.non_trainable, 8);
  EXPECT_EQ(summary->macs, 4 * 8 * 8 * 27 + (*node_costs(g))[1].macs + (*node_costs(g))[4].macs + 2 * 4);
  EXPECT_EQ(summary->weight_elements, 108 + 8);
  EXPECT_EQ(summary->zero_weights, 107);
  EXPECT_DOUBLE_EQ(summary->weight_sparsity(), 107.0 / 116.0);
  EXPECT_EQ(summary->op_counts.at("Conv2d"), 1);
  EXPECT_EQ(summary->op_counts.at("Linear"), 1);
  EXPECT_EQ(summary->constant_bytes_by_dtype.at("fp32"), (108 + 16 + 8 + 2) * 4);
  EXPECT_EQ(summary->input_shape, (Shape{kDynamicDim, 3, 8, 8}));
  EXPECT_EQ(summary->metadata.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(summary->non_finite_weights, 0);
  EXPECT_TRUE(summary->first_non_finite_tensor.empty());
  ASSERT_EQ(summary->layers.size(), g.nodes.size());
  const LayerSummary& conv = summary->layers[0];
  EXPECT_EQ(conv.name, "conv");
  EXPECT_EQ(conv.op_label, "Conv2d 3x3");
  EXPECT_EQ(conv.weight_dtype, "fp32");
  ASSERT_TRUE(conv.has_output_shape);
  EXPECT_EQ(conv.output_shape, (Shape{1, 4, 8, 8}));
  EXPECT_EQ(conv.weight_elements, 108);
  EXPECT_EQ(conv.zero_weights, 107);
  EXPECT_EQ(summary->layers[2].weight_elements, 0);  // relu
}

TEST(ModelSummary, CountsNonFiniteWeightsAndNamesTheFirstTensor) {
  Graph g = testing::conv_bn_relu_graph();
  std::vector<float> fc(8, 0.5f);
  fc[1] = std::numeric_limits<float>::quiet_NaN();
  fc[5] = -std::numeric_limits<float>::infinity();
  g.tensor(*g.find_tensor("fc.weight")).data = Buffer::copy_of(fc.data(), fc.size() * 4);
  std::vector<float> var = {1.0f, std::numeric_limits<float>::infinity(), 1.0f, 1.0f};
  g.tensor(*g.find_tensor("bn.running_var")).data = Buffer::copy_of(var.data(), var.size() * 4);
  auto summary = summarize_model(g);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->non_finite_weights, 3);
  EXPECT_EQ(summary->first_non_finite_tensor, "bn.running_var");  // tensor order: bn before fc
}

TEST(ModelSummary, CountsNonFiniteHalfFloats) {
  Tensor t;
  t.dtype = DType::kFloat16;
  t.shape = {4};
  const uint16_t halves[4] = {0x3C00 /* 1 */, 0x7C00 /* +inf */, 0x7E00 /* NaN */, 0xFBFF /* -65504 */};
  t.data = Buffer::copy_of(halves, sizeof(halves));
  EXPECT_EQ(count_non_finite(t), 2);
}

}  // namespace
}  // namespace gramlite::ir
