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

}  // namespace
}  // namespace gramlite::ir
