#include "gramlite/ir/stats.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace gramlite::ir {
namespace {

TEST(Stats, CountsTrainableAndBatchNormBuffersSeparately) {
  const Graph g = testing::conv_bn_relu_graph();
  const ParameterCount count = count_parameters(g);
  EXPECT_EQ(count.trainable, 108 + 4 + 4 + 8 + 2);
  EXPECT_EQ(count.non_trainable, 8);
}

TEST(Stats, MacsAndZeroWeights) {
  Graph g = testing::conv_bn_relu_graph();
  std::vector<float> w(108, 0.0f);
  w[3] = 1.0f;
  g.tensor(*g.find_tensor("conv.weight")).data = Buffer::copy_of(w.data(), w.size() * 4);
  auto costs = node_costs(g);
  ASSERT_TRUE(costs.ok()) << costs.status().message();
  EXPECT_EQ((*costs)[0].macs, 4 * 8 * 8 * 27);
  EXPECT_EQ((*costs)[0].zero_weights, 107);
  EXPECT_EQ((*costs)[6].macs, 2 * 4);  // linear
}

TEST(Stats, ZeroWeightsOfInt8AndFloat16Weights) {
  Graph g = testing::conv_bn_relu_graph();
  Tensor& weight = g.tensor(*g.find_tensor("conv.weight"));
  std::vector<int8_t> q(108, 0);
  q[0] = 1;
  q[50] = -127;
  weight.dtype = DType::kInt8;
  weight.data = Buffer::copy_of(q.data(), q.size());
  auto costs = node_costs(g);
  ASSERT_TRUE(costs.ok()) << costs.status().message();
  EXPECT_EQ((*costs)[0].zero_weights, 106);
  // float16: +0 and -0 (0x8000) are zeros, the smallest subnormal (0x0001) is not.
  std::vector<uint16_t> h(108, 0x3C00);
  h[1] = 0x0000;
  h[2] = 0x8000;
  h[3] = 0x0001;
  weight.dtype = DType::kFloat16;
  weight.data = Buffer::copy_of(h.data(), h.size() * 2);
  costs = node_costs(g);
  ASSERT_TRUE(costs.ok()) << costs.status().message();
  EXPECT_EQ((*costs)[0].zero_weights, 2);
}

}  // namespace
}  // namespace gramlite::ir
