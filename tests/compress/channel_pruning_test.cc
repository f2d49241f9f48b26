// Structured channel pruning: dependency groups on hand-made graphs (one per coupling kind, exact
// expected members), the criteria, the plan's limits and rounding, check-then-prune errors, and the
// equivalence oracle: when the removed channels are already zero in the original graph, the
// original computes what the pruned graph computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "channel_pruning_support.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/stats.h"
#include "gramlite/ir/validate.h"
#include "test_graphs.h"

namespace gramlite::compress {
namespace {

using testing::GraphBuilder;
using testing::conv3x3;

ir::Conv2dAttrs conv1x1() { return ir::Conv2dAttrs{}; }

ir::TensorId conv(GraphBuilder& b, const std::string& name, ir::TensorId x, int64_t out, int64_t in,
                  const ir::Conv2dAttrs& attrs, bool bias = true) {
  std::vector<ir::TensorId> inputs = {
      x, b.constant(name + ".weight", {out, in / attrs.groups, attrs.kernel_h, attrs.kernel_w}, -0.5f, 0.5f)};
  if (bias) inputs.push_back(b.constant(name + ".bias", {out}, -0.2f, 0.2f));
  return b.node(name, ir::OpKind::kConv2d, inputs, attrs);
}

ir::TensorId batch_norm(GraphBuilder& b, const std::string& name, ir::TensorId x, int64_t c) {
  return b.node(name, ir::OpKind::kBatchNorm,
                {x, b.constant(name + ".weight", {c}, 0.5f, 1.5f), b.constant(name + ".bias", {c}, -0.2f, 0.4f),
                 b.constant(name + ".running_mean", {c}, -0.1f, 0.1f), b.constant(name + ".running_var", {c}, 0.5f, 1.5f)},
                ir::BatchNormAttrs{});
}

// a (8) -> relu -> b (3x3, 8) -> add(relu, b) -> c (4): output.
ir::Graph residual_graph() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  const ir::TensorId a = conv(b, "a", x, 8, 3, conv1x1());
  const ir::TensorId r = b.node("relu", ir::OpKind::kRelu, {a});
  const ir::TensorId y = conv(b, "b", r, 8, 8, conv3x3());
  const ir::TensorId add = b.node("add", ir::OpKind::kAdd, {r, y});
  return b.finish({conv(b, "c", add, 4, 8, conv1x1())});
}

// a (8) and b (16) -> concat -> relu -> c (4): output.
ir::Graph concat_graph() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  const ir::TensorId cat = b.node("cat", ir::OpKind::kConcat,
                                  {conv(b, "a", x, 8, 3, conv1x1()), conv(b, "b", x, 16, 3, conv3x3())},
                                  ir::ConcatAttrs{1});
  const ir::TensorId r = b.node("relu", ir::OpKind::kRelu, {cat});
  return b.finish({conv(b, "c", r, 4, 24, conv1x1())});
}

// a (8, no bias) -> bn -> relu6 -> depthwise dw (channel multiplier `multiplier`) -> bn2 -> relu -> c (4).
ir::Graph depthwise_graph(int64_t multiplier = 1) {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  ir::TensorId y = conv(b, "a", x, 8, 3, conv1x1(), false);
  y = b.node("relu6", ir::OpKind::kRelu6, {batch_norm(b, "bn", y, 8)});
  y = conv(b, "dw", y, 8 * multiplier, 8, conv3x3(8), false);
  y = b.node("relu", ir::OpKind::kRelu, {batch_norm(b, "bn2", y, 8 * multiplier)});
  return b.finish({conv(b, "c", y, 4, 8 * multiplier, conv1x1())});
}

// a (16) -> relu -> squeeze-excitation (gap -> fc1 (8) -> relu -> fc2 (16) -> hard sigmoid) ->
// mul -> c (4).
ir::Graph squeeze_excitation_graph() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  const ir::TensorId r = b.node("relu", ir::OpKind::kRelu, {conv(b, "a", x, 16, 3, conv3x3())});
  ir::TensorId s = b.node("gap", ir::OpKind::kGlobalAvgPool, {r});
  s = b.node("se_relu", ir::OpKind::kRelu, {conv(b, "fc1", s, 8, 16, conv1x1())});
  s = b.node("hsig", ir::OpKind::kHardSigmoid, {conv(b, "fc2", s, 16, 8, conv1x1())});
  const ir::TensorId mul = b.node("mul", ir::OpKind::kMul, {r, s});
  return b.finish({conv(b, "c", mul, 4, 16, conv1x1())});
}

// a (8, 2x2 map) -> relu -> flatten (32 features) -> fc (3): output.
ir::Graph flatten_graph() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 2, 2});
  const ir::TensorId r = b.node("relu", ir::OpKind::kRelu, {conv(b, "a", x, 8, 3, conv3x3())});
  const ir::TensorId flat = b.node("flatten", ir::OpKind::kFlatten, {r}, ir::FlattenAttrs{1});
  return b.finish({b.node("fc", ir::OpKind::kLinear,
                          {flat, b.constant("fc.weight", {3, 32}, -0.5f, 0.5f), b.constant("fc.bias", {3}, -0.1f, 0.1f)})});
}

// a (8) -> add a constant [1, 8, 1, 1] shift -> relu -> c (4): output.
ir::Graph constant_add_graph() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  const ir::TensorId shifted =
      b.node("add", ir::OpKind::kAdd, {conv(b, "a", x, 8, 3, conv3x3()), b.constant("shift", {1, 8, 1, 1}, -0.5f, 0.5f)});
  return b.finish({conv(b, "c", b.node("relu", ir::OpKind::kRelu, {shifted}), 4, 8, conv1x1())});
}

std::set<std::string> member_names(const ChannelGroup& group) {
  std::set<std::string> names;
  for (const ChannelMember& m : group.members) names.insert(m.name + ":" + std::to_string(m.dim));
  return names;
}

const ChannelMember* member(const ChannelGroup& group, const std::string& name, int dim) {
  for (const ChannelMember& m : group.members) {
    if (m.name == name && m.dim == dim) return &m;
  }
  return nullptr;
}

std::vector<int64_t> range(int64_t begin, int64_t end) {
  std::vector<int64_t> r;
  for (int64_t i = begin; i < end; ++i) r.push_back(i);
  return r;
}

ChannelGroups groups_of(const ir::Graph& graph) {
  Result<ChannelGroups> groups = find_channel_groups(graph);
  EXPECT_TRUE(groups.ok()) << groups.status().message();
  return groups.ok() ? std::move(groups).value() : ChannelGroups{};
}

TEST(ChannelGroups, ResidualAddCouplesBothBranches) {
  const ir::Graph graph = residual_graph();
  const ChannelGroups groups = groups_of(graph);
  ASSERT_EQ(groups.groups.size(), 3u);
  const ChannelGroup* main = testing::group_named(groups, "a");
  ASSERT_NE(main, nullptr);
  EXPECT_TRUE(main->prunable) << main->reason;
  EXPECT_EQ(main->channels, 8);
  EXPECT_EQ(member_names(*main),
            (std::set<std::string>{"a.weight:0", "a.bias:0", "a:out:1", "relu:out:1", "b.weight:1", "b.weight:0",
                                   "b.bias:0", "b:out:1", "add:out:1", "c.weight:1"}));
  EXPECT_EQ(member(*main, "b.weight", 1)->role, ChannelMemberRole::kInputParameter);
  EXPECT_EQ(member(*main, "b.weight", 0)->role, ChannelMemberRole::kOutputParameter);
  EXPECT_EQ(member(*main, "add:out", 1)->indices, range(0, 8));
  // The input's channels and the logits are not prunable, and say why.
  const ChannelGroup* input = testing::group_named(groups, "input");
  ASSERT_NE(input, nullptr);
  EXPECT_FALSE(input->prunable);
  EXPECT_NE(input->reason.find("graph input 'input'"), std::string::npos) << input->reason;
  const ChannelGroup* logits = testing::group_named(groups, "c");
  ASSERT_NE(logits, nullptr);
  EXPECT_FALSE(logits->prunable);
  EXPECT_NE(logits->reason.find("graph output 'c:out'"), std::string::npos) << logits->reason;
  // One channel of the main group: a (3 x 36 MACs), b (8*9 x 36 MACs for its filter + 8*9 x 36 for
  // its input channel, less the one counted twice: 9 x 36), add (36), c (4 x 36).
  EXPECT_EQ(main->macs_per_channel, 36 * (3 + 72 + 72 - 9 + 1 + 4));
  // a.weight 3 + a.bias 1 + b.weight (72 + 72 - 9) + b.bias 1 + c.weight 4.
  EXPECT_EQ(main->parameters_per_channel, 3 + 1 + 135 + 1 + 4);
}

TEST(ChannelGroups, ConcatSlicesTheOutputPerInput) {
  const ir::Graph graph = concat_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  const ChannelGroup* b = testing::group_named(groups, "b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(a->prunable && b->prunable);
  EXPECT_EQ(a->channels, 8);
  EXPECT_EQ(b->channels, 16);
  const std::set<std::string> shared = {"cat:out:1", "relu:out:1", "c.weight:1"};
  std::set<std::string> expect_a = {"a.weight:0", "a.bias:0", "a:out:1"};
  std::set<std::string> expect_b = {"b.weight:0", "b.bias:0", "b:out:1"};
  expect_a.insert(shared.begin(), shared.end());
  expect_b.insert(shared.begin(), shared.end());
  EXPECT_EQ(member_names(*a), expect_a);
  EXPECT_EQ(member_names(*b), expect_b);
  EXPECT_EQ(member(*a, "cat:out", 1)->indices, range(0, 8));
  EXPECT_EQ(member(*b, "cat:out", 1)->indices, range(8, 24));
  EXPECT_EQ(member(*b, "c.weight", 1)->indices, range(8, 24));
}

TEST(ChannelGroups, DepthwisePassesChannelsThrough) {
  const ir::Graph graph = depthwise_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->prunable);
  EXPECT_EQ(a->channels, 8);
  EXPECT_EQ(member_names(*a),
            (std::set<std::string>{"a.weight:0", "a:out:1", "bn.weight:0", "bn.bias:0", "bn.running_mean:0",
                                   "bn.running_var:0", "bn:out:1", "relu6:out:1", "dw.weight:0", "dw:out:1",
                                   "bn2.weight:0", "bn2.bias:0", "bn2.running_mean:0", "bn2.running_var:0",
                                   "bn2:out:1", "relu:out:1", "c.weight:1"}));
  EXPECT_EQ(groups.groups.size(), 3u);  // input, a, logits
}

TEST(ChannelGroups, DepthwiseMultiplierOwnsItsOutputs) {
  const ir::Graph graph = depthwise_graph(2);
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->channels, 8);
  const ChannelMember* dw = member(*a, "dw:out", 1);
  ASSERT_NE(dw, nullptr);
  EXPECT_EQ(dw->per_channel, 2);
  EXPECT_EQ(dw->indices, range(0, 16));
  EXPECT_EQ(member(*a, "c.weight", 1)->per_channel, 2);
}

TEST(ChannelGroups, SqueezeExcitationMultiplyCouplesTheScale) {
  const ir::Graph graph = squeeze_excitation_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  const ChannelGroup* fc1 = testing::group_named(groups, "fc1");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(fc1, nullptr);
  EXPECT_TRUE(a->prunable && fc1->prunable);
  EXPECT_EQ(member_names(*a),
            (std::set<std::string>{"a.weight:0", "a.bias:0", "a:out:1", "relu:out:1", "gap:out:1", "fc1.weight:1",
                                   "fc2.weight:0", "fc2.bias:0", "fc2:out:1", "hsig:out:1", "mul:out:1",
                                   "c.weight:1"}));
  EXPECT_EQ(member_names(*fc1), (std::set<std::string>{"fc1.weight:0", "fc1.bias:0", "fc1:out:1", "se_relu:out:1",
                                                       "fc2.weight:1"}));
  EXPECT_EQ(groups.groups.size(), 4u);
}

TEST(ChannelGroups, FlattenMapsAChannelToItsFeatures) {
  const ir::Graph graph = flatten_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->prunable);
  EXPECT_EQ(member_names(*a),
            (std::set<std::string>{"a.weight:0", "a.bias:0", "a:out:1", "relu:out:1", "flatten:out:1", "fc.weight:1"}));
  const ChannelMember* fc = member(*a, "fc.weight", 1);
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->per_channel, 4);
  EXPECT_EQ(fc->indices, range(0, 32));  // channel c: features 4c .. 4c + 3
  // One channel: a (27 MACs x 4 pixels), fc (3 outputs x 4 features).
  EXPECT_EQ(a->macs_per_channel, 27 * 4 + 3 * 4);
}

TEST(ChannelGroups, ConstantsReadChannelByChannelAreMembers) {
  const ir::Graph graph = constant_add_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->prunable);
  EXPECT_EQ(member_names(*a), (std::set<std::string>{"a.weight:0", "a.bias:0", "a:out:1", "shift:1", "add:out:1",
                                                     "relu:out:1", "c.weight:1"}));
  EXPECT_EQ(member(*a, "shift", 1)->role, ChannelMemberRole::kConstant);
  const std::string table = channel_groups_table(groups);
  EXPECT_NE(table.find("no: touches graph input 'input'"), std::string::npos) << table;
}

TEST(ChannelGroups, PaddingTheChannelDimBlocksPruning) {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 4, 4});
  const ir::TensorId padded =
      b.node("pad", ir::OpKind::kPad, {conv(b, "a", x, 8, 3, conv1x1())}, ir::PadAttrs{{0, 2, 0, 0, 0, 0, 0, 0}, 0.0f});
  const ir::Graph graph = b.finish({conv(b, "c", padded, 4, 10, conv1x1())});
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->prunable);
  EXPECT_NE(a->reason.find("pads the channel dim"), std::string::npos) << a->reason;
}

TEST(ChannelGroups, OpaqueNodesBlockPruning) {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 4, 4});
  const ir::TensorId a = conv(b, "a", x, 8, 3, conv1x1());
  const ir::TensorId reshaped = b.node("reshape", ir::OpKind::kReshape, {a}, ir::ReshapeAttrs{{0, 8, 16}});
  const ir::TensorId r = b.node("relu", ir::OpKind::kRelu, {reshaped});
  const ir::Graph graph = b.finish({b.node("gap", ir::OpKind::kFlatten, {r}, ir::FlattenAttrs{1})});
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* group = testing::group_named(groups, "a");
  ASSERT_NE(group, nullptr);
  EXPECT_FALSE(group->prunable);
  EXPECT_NE(group->reason.find("'reshape' (Reshape), opaque"), std::string::npos) << group->reason;
}

TEST(ChannelGroups, GroupedConvolutionBlocksPruning) {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 4, 4});
  const ir::TensorId a = conv(b, "a", x, 8, 3, conv1x1());
  const ir::TensorId g = conv(b, "grouped", a, 8, 8, conv3x3(2));
  const ir::Graph graph = b.finish({conv(b, "c", b.node("relu", ir::OpKind::kRelu, {g}), 2, 8, conv1x1())});
  const ChannelGroups groups = groups_of(graph);
  for (const char* name : {"a", "grouped"}) {
    const ChannelGroup* group = testing::group_named(groups, name);
    ASSERT_NE(group, nullptr) << name;
    EXPECT_FALSE(group->prunable) << name;
    EXPECT_NE(group->reason.find("grouped convolution"), std::string::npos) << group->reason;
  }
}

TEST(ChannelGroups, EveryActivationChannelIsInExactlyOneGroup) {
  for (const ir::Graph& graph : {residual_graph(), concat_graph(), depthwise_graph(2), squeeze_excitation_graph(),
                                 flatten_graph(), constant_add_graph(), testing::small_classifier()}) {
    const ChannelGroups groups = groups_of(graph);
    EXPECT_TRUE(check_channel_groups(graph, groups).ok());
    for (size_t t = 0; t < graph.tensors.size(); ++t) {
      const ir::Tensor& tensor = graph.tensors[t];
      if (tensor.is_constant() || tensor.shape.size() < 2) continue;
      int64_t covered = 0;
      for (const ChannelGroup& g : groups.groups) {
        for (const ChannelMember& m : g.members) {
          if (m.tensor == static_cast<ir::TensorId>(t) && m.dim == 1) covered += static_cast<int64_t>(m.indices.size());
        }
      }
      EXPECT_EQ(covered, tensor.shape[1]) << tensor.name;
    }
  }
}

// --- Importance -------------------------------------------------------------------------------

TEST(ChannelImportance, FilterNormsSumOverTheGroupsFilters) {
  const ir::Graph graph = depthwise_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  ASSERT_NE(a, nullptr);
  const std::vector<float> wa = testing::values_of<float>(testing::tensor_named(graph, "a.weight"));  // [8, 3, 1, 1]
  const std::vector<float> wd = testing::values_of<float>(testing::tensor_named(graph, "dw.weight"));  // [8, 1, 3, 3]
  Result<std::vector<double>> l1 = l1_importance()(graph, *a);
  Result<std::vector<double>> l2 = l2_importance()(graph, *a);
  ASSERT_TRUE(l1.ok() && l2.ok());
  ASSERT_EQ(l1->size(), 8u);
  for (size_t c = 0; c < 8; ++c) {
    double a1 = 0, a2 = 0, d1 = 0, d2 = 0;
    for (size_t i = 0; i < 3; ++i) a1 += std::fabs(wa[c * 3 + i]), a2 += wa[c * 3 + i] * wa[c * 3 + i];
    for (size_t i = 0; i < 9; ++i) d1 += std::fabs(wd[c * 9 + i]), d2 += wd[c * 9 + i] * wd[c * 9 + i];
    EXPECT_NEAR((*l1)[c], a1 + d1, 1e-6);
    EXPECT_NEAR((*l2)[c], std::sqrt(a2) + std::sqrt(d2), 1e-6);
  }
}

TEST(ChannelImportance, BatchNormScaleSumsGammas) {
  const ir::Graph graph = depthwise_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  const std::vector<float> g1 = testing::values_of<float>(testing::tensor_named(graph, "bn.weight"));
  const std::vector<float> g2 = testing::values_of<float>(testing::tensor_named(graph, "bn2.weight"));
  Result<std::vector<double>> bn = batch_norm_importance()(graph, *a);
  ASSERT_TRUE(bn.ok());
  for (size_t c = 0; c < 8; ++c) EXPECT_NEAR((*bn)[c], std::fabs(g1[c]) + std::fabs(g2[c]), 1e-6);
  // No BatchNorm in a group: no opinion.
  const ir::Graph plain = concat_graph();
  const ChannelGroups plain_groups = groups_of(plain);
  Result<std::vector<double>> none = batch_norm_importance()(plain, *testing::group_named(plain_groups, "a"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ChannelImportance, TaylorSumsEveryTrainableElementOfTheChannel) {
  const ir::Graph graph = flatten_graph();
  const ChannelGroups groups = groups_of(graph);
  const ChannelGroup* a = testing::group_named(groups, "a");
  auto scores = std::make_shared<TaylorScores>();
  // a.weight [8, 3, 3, 3] all 0.5; a.bias 1; fc.weight [3, 32]: column f is f; fc.bias (not in the group) huge.
  (*scores)["a.weight"] = std::vector<float>(8 * 27, 0.5f);
  (*scores)["a.bias"] = std::vector<float>(8, 1.0f);
  std::vector<float> fc(3 * 32);
  for (size_t i = 0; i < fc.size(); ++i) fc[i] = static_cast<float>(i % 32);
  (*scores)["fc.weight"] = fc;
  (*scores)["fc.bias"] = std::vector<float>(3, 1000.0f);
  Result<std::vector<double>> squared = taylor_importance(scores)(graph, *a);
  Result<std::vector<double>> absolute = taylor_importance(scores, TaylorReduction::kAbsolute)(graph, *a);
  ASSERT_TRUE(squared.ok()) << squared.status().message();
  ASSERT_TRUE(absolute.ok());
  for (int c = 0; c < 8; ++c) {
    // 27 * 0.5 + 1 + 3 rows x (4c + 4c+1 + 4c+2 + 4c+3)
    const double sum = 13.5 + 1.0 + 3.0 * (16.0 * c + 6.0);
    EXPECT_DOUBLE_EQ((*absolute)[static_cast<size_t>(c)], sum);
    EXPECT_DOUBLE_EQ((*squared)[static_cast<size_t>(c)], sum * sum);
  }
  scores->erase("a.bias");
  Result<std::vector<double>> missing = taylor_importance(scores)(graph, *a);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'a.bias'"), std::string::npos) << missing.status().message();
  (*scores)["a.bias"] = std::vector<float>(7, 1.0f);
  EXPECT_FALSE(taylor_importance(scores)(graph, *a).ok());
}

TEST(ChannelImportance, ByName) {
  for (const char* name : {"l1", "l2", "bn"}) EXPECT_TRUE(channel_importance(name).ok()) << name;
  EXPECT_FALSE(channel_importance("taylor").ok());
  EXPECT_TRUE(channel_importance("taylor", std::make_shared<TaylorScores>()).ok());
  const Result<ChannelImportance> bad = channel_importance("l3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("l1, l2, bn or taylor"), std::string::npos);
}

TEST(ChannelImportance, ScoresAreNormalisedToMeanOnePerGroup) {
  const ir::Graph graph = concat_graph();
  const ChannelGroups groups = groups_of(graph);
  Result<GroupScores> scores = score_channel_groups(graph, groups, l1_importance());
  ASSERT_TRUE(scores.ok());
  int scored = 0;
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    if (!groups.groups[g].prunable) {
      EXPECT_TRUE((*scores)[g].empty());
      continue;
    }
    double sum = 0;
    for (const double s : (*scores)[g]) sum += s;
    EXPECT_NEAR(sum / static_cast<double>((*scores)[g].size()), 1.0, 1e-9);
    ++scored;
  }
  EXPECT_EQ(scored, 2);
  // A criterion that returns garbage is refused.
  const ChannelImportance negative = [](const ir::Graph&, const ChannelGroup& g) -> Result<std::vector<double>> {
    return std::vector<double>(static_cast<size_t>(g.channels), -1.0);
  };
  EXPECT_FALSE(score_channel_groups(graph, groups, negative).ok());
}

// --- Plan ---------------------------------------------------------------------------------------

TEST(ChannelPlan, RemovesTheLeastImportantChannelsFirst) {
  ir::Graph graph = depthwise_graph();
  // bn gammas: channels 5 and 2 are the least important.
  std::vector<float> gamma = {1.0f, 0.9f, 0.1f, 0.8f, 0.95f, 0.05f, 0.7f, 1.1f};
  const ir::TensorId id = *graph.find_tensor("bn.weight");
  graph.tensor(id).data = Buffer::copy_of(gamma.data(), gamma.size() * sizeof(float));
  graph.tensor(*graph.find_tensor("bn2.weight")).data = graph.tensor(id).data;
  const ChannelGroups groups = groups_of(graph);
  Result<GroupScores> scores = score_channel_groups(graph, groups, batch_norm_importance());
  ASSERT_TRUE(scores.ok());
  ChannelPruningOptions options;
  options.round_to = 1;
  options.min_channels = 1;
  options.ratio = 0.01;  // one channel is enough
  Result<ChannelPruningPlan> plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const size_t a = static_cast<size_t>(testing::group_named(groups, "a") - groups.groups.data());
  EXPECT_EQ(plan->removed[a], (std::vector<int64_t>{5}));
  options.ratio = 0.2;
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->removed[a], (std::vector<int64_t>{2, 5}));
  EXPECT_LE(static_cast<double>(plan->macs_after), 0.8 * static_cast<double>(plan->macs_before));
  testing::expect_equivalent(graph, groups, *plan);
}

TEST(ChannelPlan, KeptCountsAreMultiplesOfTheRounding) {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 6, 6});
  const ir::TensorId a = b.node("relu", ir::OpKind::kRelu, {conv(b, "a", x, 36, 3, conv3x3())});
  const ir::Graph graph = b.finish({conv(b, "c", a, 4, 36, conv1x1())});
  const ChannelGroups groups = groups_of(graph);
  Result<GroupScores> scores = score_channel_groups(graph, groups, l2_importance());
  ASSERT_TRUE(scores.ok());
  const size_t g = static_cast<size_t>(testing::group_named(groups, "a") - groups.groups.data());
  ChannelPruningOptions options;
  options.ratio = 0.05;  // the remainder (4 channels) first: 36 -> 32
  Result<ChannelPruningPlan> plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->removed[g].size(), 4u);
  options.ratio = 0.2;  // then chunks of 8: 32 -> 24
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->removed[g].size(), 12u);
  // The limits: at least 8 channels and 10 % of them: 36 -> 8 at most, i.e. about 78 % of a's
  // MACs; asking for 90 % of the graph's is refused, naming what is possible.
  options.ratio = 0.9;
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("allow at most"), std::string::npos) << plan.status().message();
  options.ratio = 0.7;
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->removed[g].size(), 28u);
  testing::expect_equivalent(graph, groups, *plan);
  // max_group_fraction 0.5: at most 18 of 36, rounded: 36 -> 24 (16 would break the floor of 18).
  options.max_group_fraction = 0.5;
  options.ratio = 0.3;
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->removed[g].size(), 12u);
  options.ratio = 0.4;
  EXPECT_FALSE(plan_channel_pruning(graph, groups, *scores, options).ok());
}

TEST(ChannelPlan, ParameterTargetAndReference) {
  const ir::Graph graph = flatten_graph();
  const ChannelGroups groups = groups_of(graph);
  Result<GroupScores> scores = score_channel_groups(graph, groups, l1_importance());
  ASSERT_TRUE(scores.ok());
  ChannelPruningOptions options;
  options.target = PruningTarget::kParameters;
  options.round_to = 1;
  options.min_channels = 1;
  options.ratio = 0.5;
  Result<ChannelPruningPlan> plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_LE(static_cast<double>(plan->parameters_after), 0.5 * static_cast<double>(plan->parameters_before));
  // One channel less would not have reached it: the plan stops as soon as it does.
  const auto per_channel = static_cast<double>(testing::group_named(groups, "a")->parameters_per_channel);
  EXPECT_GT(static_cast<double>(plan->parameters_after) + per_channel, 0.5 * static_cast<double>(plan->parameters_before));
  testing::expect_equivalent(graph, groups, *plan);
  // A reference larger than the graph: the target may already be met.
  options.reference = plan->parameters_before * 4;
  plan = plan_channel_pruning(graph, groups, *scores, options);
  ASSERT_TRUE(plan.ok());
  for (const auto& r : plan->removed) EXPECT_TRUE(r.empty());
  EXPECT_DOUBLE_EQ(iterative_ratio(0.5, 1, 4), 0.125);
  EXPECT_DOUBLE_EQ(iterative_ratio(0.5, 4, 4), 0.5);
}

// a (8 channels, 1x1) -> b (64 channels, 3x3) -> c (4 outputs): a's channels are the expensive
// ones (each feeds 64 3x3 filters), b's the cheap ones. Scores: a's channel 0 is the least
// important of all (0.1), b's channel 0 next (0.2), every other about 1.
struct CostedGraph {
  ir::Graph graph;
  ChannelGroups groups;
  GroupScores scores;
  size_t a = 0, b = 0;
};

CostedGraph costed_graph() {
  GraphBuilder builder;
  const ir::TensorId x = builder.input("input", {ir::kDynamicDim, 3, 8, 8});
  const ir::TensorId a = builder.node("relu_a", ir::OpKind::kRelu, {conv(builder, "a", x, 8, 3, conv1x1())});
  const ir::TensorId b = builder.node("relu_b", ir::OpKind::kRelu, {conv(builder, "b", a, 64, 8, conv3x3())});
  CostedGraph c;
  c.graph = builder.finish({conv(builder, "c", b, 4, 64, conv1x1())});
  c.groups = groups_of(c.graph);
  c.a = static_cast<size_t>(testing::group_named(c.groups, "a") - c.groups.groups.data());
  c.b = static_cast<size_t>(testing::group_named(c.groups, "b") - c.groups.groups.data());
  const ChannelImportance importance = [](const ir::Graph&, const ChannelGroup& group) -> Result<std::vector<double>> {
    std::vector<double> raw(static_cast<size_t>(group.channels), 1.0);
    raw[0] = group.name == "a" ? 0.1 : 0.2;
    return raw;
  };
  Result<GroupScores> scores = score_channel_groups(c.graph, c.groups, importance);
  EXPECT_TRUE(scores.ok()) << scores.status().message();
  if (scores.ok()) c.scores = std::move(scores).value();
  return c;
}

// One time per node: `ms` for the node named `name`, 0 for the others.
std::vector<double> latency_of(const ir::Graph& graph, const std::string& name, double ms) {
  std::vector<double> latency(graph.nodes.size(), 0.0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) latency[n] = graph.nodes[n].name == name ? ms : 0.0;
  return latency;
}

TEST(ChannelPlan, PerCostSpendsTheImportanceWhereItBuysTheMostOfTheTarget) {
  const CostedGraph c = costed_graph();
  ChannelPruningOptions options;
  options.round_to = 1;
  options.min_channels = 1;
  options.ratio = 0.01;  // one channel of either group is enough
  // By importance alone: a's weakest channel, though b's nearly as weak one is much cheaper to lose.
  Result<ChannelPruningPlan> plan = plan_channel_pruning(c.graph, c.groups, c.scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->removed[c.a], (std::vector<int64_t>{0}));
  EXPECT_TRUE(plan->removed[c.b].empty());
  // Per MAC saved, a's channel is the better buy still (it saves 7.6 times the MACs of b's) ...
  options.per_cost = true;
  plan = plan_channel_pruning(c.graph, c.groups, c.scores, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->removed[c.a], (std::vector<int64_t>{0}));
  // ... but when only c takes time, a's channels save none of it, and b's weakest is the buy.
  options.target = PruningTarget::kLatency;
  options.node_latency = latency_of(c.graph, "c", 10.0);
  plan = plan_channel_pruning(c.graph, c.groups, c.scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->removed[c.a].empty());
  EXPECT_EQ(plan->removed[c.b], (std::vector<int64_t>{0}));
  EXPECT_DOUBLE_EQ(plan->latency_before, 10.0);
  EXPECT_DOUBLE_EQ(plan->latency_after, 10.0 * 63.0 / 64.0);
  testing::expect_equivalent(c.graph, c.groups, *plan);
}

TEST(ChannelPlan, LatencyTargetScalesEachNodeAsItsChannelsShrink) {
  const CostedGraph c = costed_graph();
  ChannelPruningOptions options;
  options.round_to = 1;
  options.min_channels = 1;
  options.target = PruningTarget::kLatency;
  // a takes 1, b 9, c nothing: b's time shrinks with a's channels (its input) and its own.
  options.node_latency.assign(c.graph.nodes.size(), 0.0);
  for (size_t n = 0; n < c.graph.nodes.size(); ++n) {
    if (c.graph.nodes[n].name == "a") options.node_latency[n] = 1.0;
    if (c.graph.nodes[n].name == "b") options.node_latency[n] = 9.0;
  }
  options.ratio = 0.5;
  Result<ChannelPruningPlan> plan = plan_channel_pruning(c.graph, c.groups, c.scores, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const double kept_a = 1.0 - static_cast<double>(plan->removed[c.a].size()) / 8.0;
  const double kept_b = 1.0 - static_cast<double>(plan->removed[c.b].size()) / 64.0;
  EXPECT_DOUBLE_EQ(plan->latency_before, 10.0);
  EXPECT_NEAR(plan->latency_after, 1.0 * kept_a + 9.0 * kept_a * kept_b, 1e-12);
  EXPECT_LE(plan->latency_after, 5.0);
  // The MAC figures stay exact beside it.
  EXPECT_LT(plan->macs_after, plan->macs_before);
  testing::expect_equivalent(c.graph, c.groups, *plan);

  // With a fixed part (a kernel call's cost) a node's time shrinks only above it, so the same
  // target takes more channels.
  options.node_fixed_latency.assign(c.graph.nodes.size(), 0.0);
  for (size_t n = 0; n < c.graph.nodes.size(); ++n) {
    if (c.graph.nodes[n].name == "b") options.node_fixed_latency[n] = 3.0;
  }
  Result<ChannelPruningPlan> fixed = plan_channel_pruning(c.graph, c.groups, c.scores, options);
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  const double fixed_a = 1.0 - static_cast<double>(fixed->removed[c.a].size()) / 8.0;
  const double fixed_b = 1.0 - static_cast<double>(fixed->removed[c.b].size()) / 64.0;
  EXPECT_NEAR(fixed->latency_after, 1.0 * fixed_a + 3.0 + 6.0 * fixed_a * fixed_b, 1e-12);
  EXPECT_LE(fixed->latency_after, 5.0);
  EXPECT_LT(fixed->macs_after, plan->macs_after);
  options.node_fixed_latency[0] = options.node_latency[0] + 1.0;  // more than the node's time
  EXPECT_FALSE(plan_channel_pruning(c.graph, c.groups, c.scores, options).ok());
  options.node_fixed_latency.clear();

  // The latency target needs one time per node, each a time.
  options.node_latency.clear();
  EXPECT_FALSE(plan_channel_pruning(c.graph, c.groups, c.scores, options).ok());
  options.node_latency.assign(c.graph.nodes.size() - 1, 1.0);
  EXPECT_FALSE(plan_channel_pruning(c.graph, c.groups, c.scores, options).ok());
  options.node_latency.assign(c.graph.nodes.size(), 1.0);
  options.node_latency[0] = -1.0;
  EXPECT_FALSE(plan_channel_pruning(c.graph, c.groups, c.scores, options).ok());
  options.node_latency.assign(c.graph.nodes.size(), 0.0);
  EXPECT_FALSE(plan_channel_pruning(c.graph, c.groups, c.scores, options).ok());
  EXPECT_EQ(parse_pruning_target("latency"), PruningTarget::kLatency);
  EXPECT_EQ(parse_pruning_target("time"), std::nullopt);
}

TEST(ChannelPlan, BadOptionsAreRefused) {
  const ir::Graph graph = concat_graph();
  const ChannelGroups groups = groups_of(graph);
  Result<GroupScores> scores = score_channel_groups(graph, groups, l1_importance());
  ASSERT_TRUE(scores.ok());
  for (const double ratio : {-0.1, 1.0, 2.0}) {
    ChannelPruningOptions options;
    options.ratio = ratio;
    EXPECT_FALSE(plan_channel_pruning(graph, groups, *scores, options).ok()) << ratio;
  }
  ChannelPruningOptions options;
  options.round_to = 0;
  EXPECT_FALSE(plan_channel_pruning(graph, groups, *scores, options).ok());
  EXPECT_FALSE(plan_channel_pruning(graph, groups, GroupScores{}, ChannelPruningOptions{}).ok());
}

// --- Cut and equivalence ------------------------------------------------------------------------

TEST(ChannelCut, EveryCouplingKindCutsToAnEquivalentGraph) {
  struct Case {
    const char* name;
    ir::Graph graph;
  };
  const Case cases[] = {{"residual", residual_graph()},      {"concat", concat_graph()},
                        {"depthwise", depthwise_graph()},    {"depthwise x2", depthwise_graph(2)},
                        {"squeeze-excitation", squeeze_excitation_graph()}, {"flatten", flatten_graph()},
                        {"constant add", constant_add_graph()},   {"small classifier", testing::small_classifier()}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ChannelGroups groups = groups_of(c.graph);
    // Remove channels 1, 2 and the last of every prunable group (of >= 4 channels).
    ChannelPruningPlan plan;
    plan.removed.resize(groups.groups.size());
    int cut = 0;
    for (size_t g = 0; g < groups.groups.size(); ++g) {
      const ChannelGroup& group = groups.groups[g];
      if (!group.prunable || group.channels < 4) continue;
      plan.removed[g] = {1, 2, group.channels - 1};
      ++cut;
    }
    EXPECT_GT(cut, 0);
    testing::expect_equivalent(c.graph, groups, plan);
  }
}

TEST(ChannelCut, DepthwiseGroupCountFollowsTheKeptChannels) {
  const ir::Graph graph = depthwise_graph(2);
  const ChannelGroups groups = groups_of(graph);
  ChannelPruningPlan plan;
  plan.removed.resize(groups.groups.size());
  plan.removed[static_cast<size_t>(testing::group_named(groups, "a") - groups.groups.data())] = {0, 3, 7};
  Result<PrunedGraph> pruned = apply_channel_pruning(graph, groups, plan);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  const ir::Node& dw = testing::node_named(pruned->graph, "dw");
  EXPECT_EQ(dw.attr<ir::Conv2dAttrs>().groups, 5);
  EXPECT_EQ(pruned->graph.tensor(dw.inputs[1]).shape, (ir::Shape{10, 1, 3, 3}));
  EXPECT_EQ(testing::tensor_named(pruned->graph, "c.weight").shape, (ir::Shape{4, 10, 1, 1}));
  EXPECT_EQ(testing::tensor_named(pruned->graph, "bn2.running_var").shape, (ir::Shape{10}));
  // Kept filters are the original's, in order: dw filters of channels 1, 2, 4, 5, 6 (2 each).
  const std::vector<float> before = testing::values_of<float>(testing::tensor_named(graph, "dw.weight"));
  const std::vector<float> after = testing::values_of<float>(pruned->graph.tensor(dw.inputs[1]));
  const int kept[] = {1, 2, 4, 5, 6};
  for (size_t k = 0; k < 5; ++k) {
    for (size_t i = 0; i < 18; ++i) EXPECT_EQ(after[k * 18 + i], before[static_cast<size_t>(kept[k]) * 18 + i]);
  }
  ASSERT_EQ(pruned->report.groups.size(), 1u);
  EXPECT_EQ(pruned->report.groups[0].channels_before, 8);
  EXPECT_EQ(pruned->report.groups[0].channels_after, 5);
  EXPECT_NE(channel_pruning_table(pruned->report).find("8 -> 5"), std::string::npos)
      << channel_pruning_table(pruned->report);
}

TEST(ChannelCut, CheckThenPruneRefusesBadPlansAndStaleGroups) {
  const ir::Graph graph = residual_graph();
  const ChannelGroups groups = groups_of(graph);
  const auto index = [&](const char* name) {
    return static_cast<size_t>(testing::group_named(groups, name) - groups.groups.data());
  };
  const auto refuse = [&](const ChannelPruningPlan& plan, const ChannelGroups& g, const std::string& expected) {
    Result<PrunedGraph> r = apply_channel_pruning(graph, g, plan);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(expected), std::string::npos) << r.status().message();
    EXPECT_FALSE(zero_pruned_channels(graph, g, plan).ok());
  };
  ChannelPruningPlan plan;
  plan.removed.resize(groups.groups.size());
  plan.removed[index("c")] = {0};
  refuse(plan, groups, "not prunable: touches graph output");
  plan.removed[index("c")] = {};
  plan.removed[index("a")] = range(0, 8);
  refuse(plan, groups, "removes every channel");
  plan.removed[index("a")] = {3, 1};
  refuse(plan, groups, "sorted");
  plan.removed[index("a")] = {9};
  refuse(plan, groups, "sorted");
  plan.removed.pop_back();
  refuse(plan, groups, "lists for");
  // Groups of another graph.
  plan.removed.assign(groups.groups.size(), {});
  const ChannelGroups other = groups_of(concat_graph());
  ChannelPruningPlan other_plan;
  other_plan.removed.resize(other.groups.size());
  refuse(other_plan, other, "channel group");
  // A member whose indices were tampered with.
  ChannelGroups tampered = groups;
  tampered.groups[index("a")].members[0].indices[1] = 0;
  refuse(plan, tampered, "in two channels");
}

TEST(ChannelCut, DeclinesQuantizedAndInvalidGraphs) {
  // Dynamic range (int8 weights, per-channel scales) and fp16 weights: prune before converting.
  Result<ir::Graph> dynamic = convert_to_dynamic(residual_graph(), Int8Options{});
  Result<ir::Graph> half = convert_to_float16(residual_graph());
  ASSERT_TRUE(dynamic.ok() && half.ok());
  for (const ir::Graph* converted : {&dynamic.value(), &half.value()}) {
    Result<ChannelGroups> groups = find_channel_groups(*converted);
    ASSERT_FALSE(groups.ok());
    EXPECT_EQ(groups.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(groups.status().message().find("prune before quantizing"), std::string::npos) << groups.status().message();
    EXPECT_NE(groups.status().message().find("tensor '"), std::string::npos);
  }

  ir::Graph broken = residual_graph();
  broken.nodes[1].inputs[0] = 999;
  Result<ChannelGroups> invalid = find_channel_groups(broken);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.status().message().find("structured channel pruning"), std::string::npos);

  // Nothing prunable in a graph whose only convolution makes the logits.
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 4, 4});
  const ir::Graph tiny = b.finish({conv(b, "a", x, 8, 3, conv1x1())});
  Result<PrunedGraph> none = prune_channels(tiny, l1_importance(), ChannelPruningOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("0 of 2 groups prunable"), std::string::npos) << none.status().message();
}

}  // namespace
}  // namespace gramlite::compress
