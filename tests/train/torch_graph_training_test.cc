// Autograd through TorchGraph's internal torch API (what the trainer uses): one SGD step lowers a
// loss, write_back round-trips the weights, and a frozen parameter stays as it was.
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "train/torch_graph.h"
#include "train/torch_graph_internal.h"
#include "train_test_util.h"

namespace gramlite::train {
namespace {

using testing::TinyGraph;
using testing::values_of;

// x [N, 2, 5, 5] -> Conv 3x3 pad 1 -> BatchNorm + ReLU -> GlobalAvgPool -> Flatten -> Linear -> 2.
ir::Graph tiny_classifier() {
  TinyGraph b;
  const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2, 5, 5});
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  ir::TensorId y = b.node("conv", ir::OpKind::kConv2d,
                          {x, b.constant("conv.weight", {4, 2, 3, 3}, -0.5f, 0.5f), b.constant("conv.bias", {4}, -0.1f, 0.1f)},
                          conv);
  y = b.node("bn", ir::OpKind::kBatchNorm,
             {y, b.constant("bn.weight", {4}, 0.8f, 1.2f), b.constant("bn.bias", {4}, -0.1f, 0.1f),
              b.constant("bn.running_mean", {4}, -0.1f, 0.1f), b.constant("bn.running_var", {4}, 0.8f, 1.2f)},
             ir::BatchNormAttrs{}, ir::Activation::kRelu);
  y = b.node("flatten", ir::OpKind::kFlatten, {b.node("gap", ir::OpKind::kGlobalAvgPool, {y})});
  y = b.node("fc", ir::OpKind::kLinear, {y, b.constant("fc.weight", {2, 4}, -0.5f, 0.5f), b.constant("fc.bias", {2}, -0.1f, 0.1f)});
  return b.finish(y);
}

at::Tensor mse(const at::Tensor& prediction, const at::Tensor& target) { return (prediction - target).pow(2).mean(); }

// One plain SGD step over the parameters that require grad; returns the loss before the step.
double sgd_step(TorchGraph& graph, const at::Tensor& x, const at::Tensor& target, double lr) {
  const std::vector<at::Tensor> params = internal::trainable_tensors(graph);
  for (const at::Tensor& p : params) {
    if (p.grad().defined()) p.grad().zero_();
  }
  at::Tensor loss = mse(internal::forward(graph, {x})[0], target);
  loss.backward();
  c10::AutoGradMode no_grad(false);
  for (const at::Tensor& p : params) {
    at::Tensor value = p;  // shares storage with the graph's parameter
    value.sub_(p.grad() * lr);
  }
  return loss.item<double>();
}

double eval_loss(TorchGraph& graph, const at::Tensor& x, const at::Tensor& target) {
  c10::AutoGradMode no_grad(false);
  return mse(internal::forward(graph, {x})[0], target).item<double>();
}

TEST(TorchGraphTrainingTest, SgdStepLowersTheLossAndWriteBackRoundTrips) {
  ir::Graph graph = tiny_classifier();
  auto torch_graph = TorchGraph::create(graph, {1, 7});
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  TorchGraph& tg = **torch_graph;
  EXPECT_EQ(internal::trainable_tensors(tg).size(), 6u);  // conv w/b, bn gamma/beta, fc w/b

  at::manual_seed(3);
  const at::Tensor x = at::randn({8, 2, 5, 5});
  const at::Tensor target = at::randn({8, 2});
  tg.set_training(true);
  const double before = sgd_step(tg, x, target, 0.1);
  const double after = eval_loss(tg, x, target);  // still training mode: same batch statistics
  EXPECT_LT(after, before);
  tg.set_training(false);

  ir::Graph trained = graph;
  ASSERT_TRUE(tg.write_back(trained).ok());
  EXPECT_NE(values_of(trained, "fc.weight"), values_of(graph, "fc.weight"));
  EXPECT_NE(values_of(trained, "conv.weight"), values_of(graph, "conv.weight"));
  EXPECT_NE(values_of(trained, "bn.running_mean"), values_of(graph, "bn.running_mean"));

  // A TorchGraph made from the written-back IR computes exactly what the trained one does, and
  // writes back the same bytes.
  auto reloaded = TorchGraph::create(trained);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  const std::vector<float> input(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  auto a = tg.forward(input, 8);
  auto b = (*reloaded)->forward(input, 8);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  ir::Graph again = graph;
  ASSERT_TRUE((*reloaded)->write_back(again).ok());
  for (const char* name : {"conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                           "fc.weight", "fc.bias"}) {
    EXPECT_EQ(values_of(again, name), values_of(trained, name)) << name;
  }
  // And the reference runtime agrees with the trained graph in eval mode.
  const std::vector<float> expected = testing::run_reference(trained, input, 8);
  EXPECT_LE(testing::relative_max_error(*a, expected), 1e-5);
}

TEST(TorchGraphTrainingTest, FrozenParameterStaysUnchanged) {
  ir::Graph graph = tiny_classifier();
  auto torch_graph = TorchGraph::create(graph, {1, 7});
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  TorchGraph& tg = **torch_graph;
  ASSERT_TRUE(tg.set_requires_grad("conv.weight", false).ok());
  ASSERT_TRUE(tg.set_requires_grad("bn.weight", false).ok());
  EXPECT_EQ(tg.set_requires_grad("bn.running_var", true).code(), StatusCode::kInvalidArgument);
  for (const ParameterInfo& p : tg.parameters()) {
    const bool frozen = p.tensor == "conv.weight" || p.tensor == "bn.weight";
    EXPECT_EQ(p.requires_grad, p.trainable && !frozen) << p.tensor;
  }
  EXPECT_EQ(internal::trainable_tensors(tg).size(), 4u);

  at::manual_seed(4);
  const at::Tensor x = at::randn({8, 2, 5, 5});
  const at::Tensor target = at::randn({8, 2});
  tg.set_training(true);
  sgd_step(tg, x, target, 0.1);
  ir::Graph trained = graph;
  ASSERT_TRUE(tg.write_back(trained).ok());
  EXPECT_EQ(values_of(trained, "conv.weight"), values_of(graph, "conv.weight"));
  EXPECT_EQ(values_of(trained, "bn.weight"), values_of(graph, "bn.weight"));
  EXPECT_NE(values_of(trained, "bn.bias"), values_of(graph, "bn.bias"));  // (a conv bias before a training-mode BN gets no gradient)
  EXPECT_NE(values_of(trained, "fc.weight"), values_of(graph, "fc.weight"));
}

// The IR's shape checks reject bad graphs up front, so a libtorch error needs a bad tensor from the
// trainer's side: internal::forward rethrows it with the node's name (public entry points turn
// that into a Status).
TEST(TorchGraphTrainingTest, LibtorchErrorNamesTheNode) {
  ir::Graph graph = tiny_classifier();
  auto torch_graph = TorchGraph::create(graph);
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  try {
    internal::forward(**torch_graph, {at::zeros({1, 3, 5, 5})});  // 3 channels, conv expects 2
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("node 'conv' (Conv2d)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gramlite::train
