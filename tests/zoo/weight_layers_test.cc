// ir's weight layers on the zoo's real architectures: the layer counts the fine-tune policy and
// the README quote (backbone layers = weight layers minus the classifier head).
#include <gtest/gtest.h>

#include <algorithm>

#include "gramlite/ir/weight_layer.h"
#include "gramlite/zoo/classifier_head.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::zoo {
namespace {

struct Expected {
  const char* arch;
  size_t backbone_layers;
  size_t depthwise;
};

TEST(ZooWeightLayers, CountsPerArchitecture) {
  const Expected cases[] = {{"mobilenet_v1", 27, 13},
                            {"mobilenet_v2", 52, 17},
                            {"mobilenet_v3_small", 53, 11},
                            {"resnet50", 53, 0},
                            {"inception_v3", 94, 0}};
  for (const Expected& e : cases) {
    BuildOptions options;
    options.num_classes = 4;
    options.random_weights = false;
    auto graph = build(e.arch, options);
    ASSERT_TRUE(graph.ok()) << e.arch << ": " << graph.status().message();
    const std::vector<ir::WeightLayer> layers = ir::find_weight_layers(*graph);
    EXPECT_EQ(layers.size(), e.backbone_layers + 1) << e.arch;
    auto head = find_classifier_head(*graph);
    ASSERT_TRUE(head.ok()) << e.arch;
    ASSERT_FALSE(layers.empty());
    EXPECT_EQ(layers.back().node, head->node) << e.arch << ": the head is the last weight layer";
    EXPECT_LT(layers.back().batch_norm, 0) << e.arch;
    const auto depthwise = std::count_if(layers.begin(), layers.end(), [&](const ir::WeightLayer& l) {
      return ir::is_depthwise_convolution(*graph, graph->nodes[static_cast<size_t>(l.node)]);
    });
    EXPECT_EQ(static_cast<size_t>(depthwise), e.depthwise) << e.arch;
    // Every BatchNorm of the zoo's models directly follows a convolution.
    const auto batch_norms = std::count_if(graph->nodes.begin(), graph->nodes.end(),
                                           [](const ir::Node& n) { return n.kind == ir::OpKind::kBatchNorm; });
    const auto attached = std::count_if(layers.begin(), layers.end(), [](const ir::WeightLayer& l) { return l.batch_norm >= 0; });
    EXPECT_EQ(attached, batch_norms) << e.arch;
    EXPECT_TRUE(ir::unattached_batch_norms(*graph, layers).empty()) << e.arch;
    for (size_t i = 1; i < layers.size(); ++i) EXPECT_LT(layers[i - 1].node, layers[i].node) << e.arch;
  }
}

}  // namespace
}  // namespace gramlite::zoo
