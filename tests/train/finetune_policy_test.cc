// The fine-tune policy's layer arithmetic and the classifier-head replacement, on zoo graphs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "gramlite/ir/validate.h"
#include "gramlite/runtime/session.h"
#include "gramlite/train/finetune_policy.h"
#include "gramlite/zoo/classifier_head.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::train {
namespace {

ir::Graph build(const std::string& arch, int classes = 1000, int input_size = 0) {
  zoo::BuildOptions options;
  options.num_classes = classes;
  options.input_size = input_size;
  auto graph = zoo::build(arch, options);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return std::move(graph).value();
}

size_t count_kind(const ir::Graph& graph, ir::OpKind kind) {
  return static_cast<size_t>(std::count_if(graph.nodes.begin(), graph.nodes.end(),
                                           [&](const ir::Node& n) { return n.kind == kind; }));
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(ClassifierHead, FoundForEveryZooArchitecture) {
  const std::pair<std::string, std::string> expected[] = {{"mobilenet_v1", "conv_preds"},
                                                           {"mobilenet_v2", "classifier.1"},
                                                           {"mobilenet_v3_small", "classifier.3"},
                                                           {"resnet50", "fc"},
                                                           {"inception_v3", "fc"}};
  for (const auto& [arch, head_name] : expected) {
    const ir::Graph graph = build(arch, 7, arch == "inception_v3" ? 75 : 32);
    auto head = zoo::find_classifier_head(graph);
    ASSERT_TRUE(head.ok()) << arch << ": " << head.status().message();
    EXPECT_EQ(graph.nodes[static_cast<size_t>(head->node)].name, head_name) << arch;
    EXPECT_EQ(head->num_classes, 7) << arch;
  }
}

TEST(ClassifierHead, ReplacedHeadHasNewClassesAndRuns) {
  for (const std::string arch : {"mobilenet_v1", "mobilenet_v2", "resnet50"}) {
    ir::Graph graph = build(arch, 1000, 32);
    zoo::ReplaceHeadOptions options;
    options.num_classes = 3;
    options.class_names = {"a", "b", "c"};
    options.seed = 5;
    ASSERT_TRUE(zoo::replace_classifier_head(graph, options).ok()) << arch;
    EXPECT_TRUE(ir::validate(graph).ok());
    EXPECT_EQ(graph.metadata.class_names, options.class_names);
    auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph));
    ASSERT_TRUE(session.ok()) << session.status().message();
    ASSERT_TRUE((*session)->prepare(2).ok());
    EXPECT_EQ(ir::element_count((*session)->output_shapes()[0]), 6) << arch;
    // The new weights are not zero (a zero head would not break symmetry between classes).
    auto head = zoo::find_classifier_head(graph);
    ASSERT_TRUE(head.ok());
    const ir::Tensor& weight = graph.tensor(head->weight);
    const float* w = weight.data.as<float>();
    EXPECT_TRUE(std::any_of(w, w + weight.element_count(), [](float v) { return v != 0.0f; }));
  }
}

TEST(ClassifierHead, RefusesGraphsWithoutAClassifier) {
  ir::Graph graph = build("mobilenet_v2", 10, 32);
  // Cut the graph at the global pool: no Linear is reachable backwards from the new output.
  const auto pool = std::find_if(graph.nodes.begin(), graph.nodes.end(),
                                 [](const ir::Node& n) { return n.kind == ir::OpKind::kGlobalAvgPool; });
  ASSERT_NE(pool, graph.nodes.end());
  graph.outputs = {pool->outputs[0]};
  auto head = zoo::find_classifier_head(graph);
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.status().message().find("GlobalAvgPool"), std::string::npos) << head.status().message();
  zoo::ReplaceHeadOptions options;
  options.num_classes = 0;
  EXPECT_FALSE(zoo::replace_classifier_head(graph, options).ok());
}

TEST(FinetunePolicy, MobileNetV2LayerCountsAndFractions) {
  const ir::Graph graph = build("mobilenet_v2", 2, 32);
  // Every Conv2d and Linear except the head; each conv has its BatchNorm.
  const size_t layers = count_kind(graph, ir::OpKind::kConv2d) + count_kind(graph, ir::OpKind::kLinear) - 1;
  ASSERT_EQ(layers, 52u);
  const std::pair<double, int> cases[] = {{0.0, 0}, {0.1, 5}, {0.25, 13}, {0.5, 26}, {0.99, 51}, {1.0, 52}};
  for (const auto& [fraction, unfrozen] : cases) {
    auto plan = plan_finetune(graph, fraction);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(plan->backbone.size(), layers);
    EXPECT_EQ(plan->unfrozen_layers, unfrozen) << fraction;
    EXPECT_EQ(plan->head.node, "classifier.1");
    EXPECT_TRUE(contains(plan->trainable_tensors, "classifier.1.weight"));
    EXPECT_TRUE(contains(plan->trainable_tensors, "classifier.1.bias"));
    // Each layer: conv weight + BN gamma and beta; the head: weight and bias.
    EXPECT_EQ(plan->trainable_tensors.size(), static_cast<size_t>(3 * unfrozen + 2)) << fraction;
    EXPECT_EQ(plan->frozen_batch_norms.size(), layers - static_cast<size_t>(unfrozen)) << fraction;
  }
  auto plan = plan_finetune(graph, 0.1);
  ASSERT_TRUE(plan.ok());
  // The top of the backbone: the last 1x1 conv (features.18) and the last block's projection.
  EXPECT_TRUE(contains(plan->trainable_tensors, "features.18.0.weight"));
  EXPECT_TRUE(contains(plan->trainable_tensors, "features.18.1.weight"));
  EXPECT_TRUE(contains(plan->trainable_tensors, "features.17.conv.2.weight"));
  EXPECT_FALSE(contains(plan->trainable_tensors, "features.0.0.weight"));
  EXPECT_TRUE(contains(plan->frozen_batch_norms, "features.0.1"));
  EXPECT_FALSE(contains(plan->frozen_batch_norms, "features.18.1"));
}

TEST(FinetunePolicy, EveryParameterIsInExactlyOneLayer) {
  for (const std::string arch : {"mobilenet_v1", "mobilenet_v3_small", "resnet50", "inception_v3"}) {
    const ir::Graph graph = build(arch, 4, arch == "inception_v3" ? 75 : 32);
    auto plan = plan_finetune(graph, 1.0);
    ASSERT_TRUE(plan.ok()) << arch << ": " << plan.status().message();
    std::multiset<std::string> seen(plan->trainable_tensors.begin(), plan->trainable_tensors.end());
    std::set<std::string> expected;
    for (const ir::Node& node : graph.nodes) {
      const bool parameterised = node.kind == ir::OpKind::kConv2d || node.kind == ir::OpKind::kLinear ||
                                 node.kind == ir::OpKind::kBatchNorm;
      if (!parameterised) continue;
      for (size_t i = 1; i < node.inputs.size() && i <= 2; ++i) {
        if (node.inputs[i] != ir::kNoTensor) expected.insert(graph.tensor(node.inputs[i]).name);
      }
    }
    EXPECT_EQ(seen.size(), expected.size()) << arch;
    for (const std::string& name : expected) EXPECT_EQ(seen.count(name), 1u) << arch << " " << name;
    EXPECT_TRUE(plan->frozen_batch_norms.empty()) << arch;
    auto frozen = plan_finetune(graph, 0.0);
    ASSERT_TRUE(frozen.ok());
    EXPECT_EQ(frozen->frozen_batch_norms.size(), count_kind(graph, ir::OpKind::kBatchNorm)) << arch;
  }
}

TEST(FinetunePolicy, RejectsFractionsOutsideZeroToOne) {
  const ir::Graph graph = build("mobilenet_v2", 2, 32);
  for (double bad : {-0.1, 1.5, std::nan("")}) EXPECT_FALSE(plan_finetune(graph, bad).ok()) << bad;
}

}  // namespace
}  // namespace gramlite::train
