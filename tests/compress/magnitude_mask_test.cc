// The magnitude masks (TF-MOT's _update_mask with block pooling), the global and
// sensitivity-guided allocations, and the choice of prunable weights on zoo models.
#include <algorithm>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "gramlite/compress/pruning.h"
#include "gramlite/ir/weight_layer.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::compress {
namespace {

std::vector<float> random_weights(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(n);
  for (float& v : w) v = normal(rng);
  return w;
}

int64_t kept(const std::vector<uint8_t>& mask) { return std::accumulate(mask.begin(), mask.end(), int64_t{0}); }

TEST(MagnitudeMask, KeepsTfmotsCountOfTheLargestMagnitudes) {
  for (double sparsity : {0.0, 0.1, 0.5, 0.77, 0.9, 0.99, 0.9999}) {
    const std::vector<float> w = random_weights(64 * 3 * 3 * 3, 7);
    const std::vector<uint8_t> mask = magnitude_mask(w, {64, 3, 3, 3}, sparsity, {1, 1});
    const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(1728.0f * (1.0f - static_cast<float>(sparsity)))));
    ASSERT_EQ(kept(mask), k) << "sparsity " << sparsity;
    // Every kept magnitude is at least every removed one.
    float smallest_kept = 1e30f;
    float largest_removed = 0.0f;
    for (size_t i = 0; i < w.size(); ++i) {
      (mask[i] ? smallest_kept = std::min(smallest_kept, std::fabs(w[i]))
               : largest_removed = std::max(largest_removed, std::fabs(w[i])));
    }
    EXPECT_GE(smallest_kept, largest_removed);
  }
}

TEST(MagnitudeMask, RoundsHalfToEvenAndKeepsTiesAsTfmot) {
  EXPECT_EQ(blocks_to_keep(10, 0.25), 8);  // 7.5 -> 8
  EXPECT_EQ(blocks_to_keep(10, 0.35), 6);  // 6.5 -> 6 (half to even)
  EXPECT_EQ(blocks_to_keep(10, 0.99), 1);  // never zero
  // Ties at the threshold are kept (greater_equal): 3 equal largest values, k = 2 keeps all 3.
  const std::vector<float> w = {0.1f, -2.0f, 2.0f, 2.0f, 0.5f};
  const std::vector<uint8_t> mask = magnitude_mask(w, {5}, 0.6, {1, 1});
  EXPECT_EQ(mask, (std::vector<uint8_t>{0, 1, 1, 1, 0}));
}

TEST(MagnitudeMask, BlocksAreKeptOrRemovedWholeAndScoredByTheirMean) {
  // [2 outputs, 6 inputs] with 1x4 blocks: blocks {0..3} and {4,5} (a partial block) per row.
  const std::vector<float> w = {1, 1, 1, 1, 9, 9,   //
                                -3, 0, 0, 0, 0.5f, 0.5f};
  const std::vector<float> scores = block_scores(w, {2, 6}, {1, 4});
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_FLOAT_EQ(scores[0], 1.0f);
  EXPECT_FLOAT_EQ(scores[1], 9.0f);   // mean over the 2 elements the partial block has
  EXPECT_FLOAT_EQ(scores[2], 0.75f);
  EXPECT_FLOAT_EQ(scores[3], 0.5f);
  const std::vector<uint8_t> mask = magnitude_mask(w, {2, 6}, 0.5, {1, 4});
  EXPECT_EQ(mask, (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  // A conv weight [O, I, kh, kw] is [O, I*kh*kw]; 2x1 blocks pair output channels.
  const std::vector<float> conv = random_weights(8 * 4 * 3 * 3, 3);
  const std::vector<uint8_t> conv_mask = magnitude_mask(conv, {8, 4, 3, 3}, 0.75, {2, 1});
  for (int o = 0; o < 8; o += 2) {
    for (int i = 0; i < 36; ++i) ASSERT_EQ(conv_mask[o * 36 + i], conv_mask[(o + 1) * 36 + i]);
  }
  EXPECT_EQ(kept(conv_mask), 2 * blocks_to_keep(4 * 36, 0.75));
}

TEST(MagnitudeMask, ZeroBlockFractionCountsAllZeroBlocks) {
  ir::Tensor t;
  t.shape = {2, 8};
  std::vector<float> values = {0, 0, 0, 0, 1, 0, 0, 0,  //
                               0, 0, 0, 0, 0, 0, 0, 0};
  t.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  EXPECT_DOUBLE_EQ(zero_block_fraction(t, {1, 4}), 0.75);
  EXPECT_DOUBLE_EQ(zero_fraction(t), 15.0 / 16.0);
}

TEST(GlobalMasks, OneThresholdOverAllLayersAndEveryLayerKeepsSomething) {
  PrunableWeight a;
  a.tensor = "a";
  a.shape = {10, 10};
  a.elements = 100;
  PrunableWeight b = a;
  b.tensor = "b";
  std::vector<float> wa = random_weights(100, 1);
  std::vector<float> wb = random_weights(100, 2);
  for (float& v : wb) v *= 0.01f;  // b is all below a's magnitudes
  const auto masks = global_magnitude_masks({a, b}, {&wa, &wb}, 0.6, {1, 1});
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(kept(masks[0]) + kept(masks[1]) - 1, blocks_to_keep(200, 0.6));  // b keeps its best one extra
  EXPECT_EQ(kept(masks[1]), 1);
}

TEST(SensitivityAllocation, MeetsTheTargetAndSparesTheSensitiveLayer) {
  LayerSensitivity robust{"robust", 1000, sensitivity_probe_levels(), {}};
  LayerSensitivity fragile{"fragile", 1000, sensitivity_probe_levels(), {}};
  for (double s : sensitivity_probe_levels()) {
    robust.losses.push_back(1.0 + 0.01 * s);
    fragile.losses.push_back(1.0 + 2.0 * s * s);
  }
  for (double target : {0.3, 0.6, 0.8}) {
    const std::vector<double> s = allocate_by_sensitivity({robust, fragile}, 1.0, target);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_NEAR(0.5 * (s[0] + s[1]), target, 1e-6) << target;
    EXPECT_GT(s[0], s[1]) << target;
    EXPECT_LE(s[0], 0.98 + 1e-12);
  }
  // Beyond what the probe covers: every layer at its highest probed level.
  const std::vector<double> all = allocate_by_sensitivity({robust, fragile}, 1.0, 0.99);
  EXPECT_DOUBLE_EQ(all[0], 0.98);
  EXPECT_DOUBLE_EQ(all[1], 0.98);
}

TEST(PrunableWeights, SkipTheFirstConvolutionAndDepthwiseByDefault) {
  zoo::BuildOptions options;
  options.num_classes = 2;
  options.input_size = 64;
  Result<ir::Graph> graph = zoo::build("mobilenet_v1", options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  Result<std::vector<PrunableWeight>> weights = find_prunable_weights(*graph, {});
  ASSERT_TRUE(weights.ok()) << weights.status().message();
  // 13 pointwise convolutions and the classifier.
  EXPECT_EQ(weights->size(), 14u);
  for (const PrunableWeight& w : *weights) {
    const ir::Node& node = graph->nodes[static_cast<size_t>(*graph->find_node(w.node))];
    EXPECT_FALSE(ir::is_depthwise_convolution(*graph, node)) << w.node;
  }
  PrunableOptions everything;
  everything.include_first_convolution = true;
  everything.include_depthwise = true;
  EXPECT_EQ(find_prunable_weights(*graph, everything)->size(), 28u);
  PrunableOptions skip;
  skip.skip = {weights->back().node};
  EXPECT_EQ(find_prunable_weights(*graph, skip)->size(), 13u);
  skip.skip = {"no.such.layer"};
  EXPECT_NE(find_prunable_weights(*graph, skip).status().message().find("no.such.layer"), std::string::npos);
}

}  // namespace
}  // namespace gramlite::compress
