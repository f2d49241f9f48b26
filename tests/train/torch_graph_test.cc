// TorchGraph (public, torch-free API) against the reference runtime, the oracle.
#include "train/torch_graph.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>

#include "train_test_util.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::train {
namespace {

using testing::randomise_batch_norms;
using testing::relative_max_error;
using testing::run_reference;
using testing::TinyGraph;
using testing::uniform;

// float32 sums in a different order (libtorch's conv kernels versus the runtime's GEMM): the error
// grows with depth, so the bound is relative to the output scale. Measured values are printed.
constexpr double kParityTolerance = 1e-4;

struct ZooCase {
  const char* arch;
  double alpha;
  int input_size;
};

void PrintTo(const ZooCase& c, std::ostream* out) {
  *out << c.arch << " alpha " << c.alpha << " " << c.input_size << "x" << c.input_size;
}

class ZooParityTest : public ::testing::TestWithParam<ZooCase> {};

TEST_P(ZooParityTest, EvalModeEqualsReferenceRuntime) {
  const ZooCase& c = GetParam();
  zoo::BuildOptions options;
  options.num_classes = 7;
  options.alpha = c.alpha;
  options.input_size = c.input_size;
  options.seed = 11;
  options.include_softmax = false;  // compare logits: a softmax would hide differences
  auto graph = zoo::build(c.arch, options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  randomise_batch_norms(*graph, 77);

  constexpr int64_t kBatch = 2;
  const std::vector<float> input = uniform(static_cast<size_t>(kBatch * 3 * c.input_size * c.input_size), -1, 1, 5);
  const std::vector<float> expected = run_reference(*graph, input, kBatch);

  auto torch_graph = TorchGraph::create(*graph, {/*threads=*/2, /*seed=*/1});
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  EXPECT_FALSE((*torch_graph)->is_training());
  auto actual = (*torch_graph)->forward(input, kBatch);
  ASSERT_TRUE(actual.ok()) << actual.status().message();
  ASSERT_EQ(actual->size(), expected.size());
  const double error = relative_max_error(*actual, expected);
  std::printf("[ parity ] %s alpha %.2f %dx%d: max |torch - runtime| / max |runtime| = %.3g\n", c.arch, c.alpha,
              c.input_size, c.input_size, error);
  EXPECT_LE(error, kParityTolerance);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooParityTest,
                         ::testing::Values(ZooCase{"mobilenet_v1", 0.25, 64}, ZooCase{"mobilenet_v1", 1.0, 64},
                                           ZooCase{"mobilenet_v2", 1.0, 64}, ZooCase{"mobilenet_v3_small", 1.0, 64},
                                           ZooCase{"resnet50", 1.0, 64}, ZooCase{"inception_v3", 1.0, 80}),
                         [](const ::testing::TestParamInfo<ZooCase>& case_info) {
                           return std::string(case_info.param.arch) + (case_info.param.alpha == 1.0 ? "" : "_alpha025");
                         });

TEST(TorchGraphTest, ParametersSplitTrainableFromBuffers) {
  zoo::BuildOptions options;
  options.num_classes = 3;
  options.alpha = 0.25;
  options.input_size = 32;
  auto graph = zoo::build("mobilenet_v1", options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto torch_graph = TorchGraph::create(*graph);
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();

  int64_t trainable = 0;
  int64_t total = 0;
  for (const ParameterInfo& p : (*torch_graph)->parameters()) {
    total += p.numel;
    if (p.trainable) trainable += p.numel;
    EXPECT_EQ(p.requires_grad, p.trainable) << p.tensor;
    EXPECT_FALSE(p.node.empty());
  }
  // The IR's own count of constants, and Keras' trainable split (running stats are not trainable).
  int64_t ir_total = 0;
  int64_t running_stats = 0;
  for (const ir::Tensor& t : graph->tensors) {
    if (t.is_constant()) ir_total += t.element_count();
  }
  for (const ir::Node& node : graph->nodes) {
    if (node.kind != ir::OpKind::kBatchNorm) continue;
    running_stats += graph->tensor(node.inputs[3]).element_count() + graph->tensor(node.inputs[4]).element_count();
  }
  EXPECT_EQ(total, ir_total);
  EXPECT_EQ(trainable, ir_total - running_stats);
}

TEST(TorchGraphTest, TrainingModeUpdatesRunningStatsAndWriteBackReachesTheRuntime) {
  zoo::BuildOptions options;
  options.num_classes = 5;
  options.alpha = 0.5;
  options.input_size = 64;
  options.include_softmax = false;
  auto graph = zoo::build("mobilenet_v2", options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  randomise_batch_norms(*graph, 3);

  constexpr int64_t kBatch = 4;
  const std::vector<float> input = uniform(kBatch * 3 * 64 * 64, -1, 1, 9);
  const std::vector<float> before = run_reference(*graph, input, kBatch);

  auto torch_graph = TorchGraph::create(*graph, {1, 2});
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  (*torch_graph)->set_training(true);
  ASSERT_TRUE((*torch_graph)->forward(input, kBatch).ok());
  (*torch_graph)->set_training(false);

  // The first batch-norm's running mean moved by momentum 0.1 towards the batch mean.
  const ir::Node* first_bn = nullptr;
  for (const ir::Node& node : graph->nodes) {
    if (node.kind == ir::OpKind::kBatchNorm) {
      first_bn = &node;
      break;
    }
  }
  ASSERT_NE(first_bn, nullptr);
  const std::string mean_name = graph->tensor(first_bn->inputs[3]).name;
  const std::string var_name = graph->tensor(first_bn->inputs[4]).name;
  const std::string gamma_name = graph->tensor(first_bn->inputs[1]).name;
  const std::vector<float> old_mean = testing::values_of(*graph, mean_name);
  const std::vector<float> old_var = testing::values_of(*graph, var_name);
  const std::vector<float> old_gamma = testing::values_of(*graph, gamma_name);

  ir::Graph updated = *graph;
  ASSERT_TRUE((*torch_graph)->write_back(updated).ok());
  const std::vector<float> new_mean = testing::values_of(updated, mean_name);
  const std::vector<float> new_var = testing::values_of(updated, var_name);
  EXPECT_NE(new_mean, old_mean);
  EXPECT_NE(new_var, old_var);
  EXPECT_EQ(testing::values_of(updated, gamma_name), old_gamma);  // no optimizer step: gamma unchanged
  for (size_t c = 0; c < new_var.size(); ++c) EXPECT_GT(new_var[c], 0.0f);
  // The source graph is untouched.
  EXPECT_EQ(testing::values_of(*graph, mean_name), old_mean);

  const std::vector<float> after = run_reference(updated, input, kBatch);
  EXPECT_GT(relative_max_error(after, before), 1e-3);
  auto eval = (*torch_graph)->forward(input, kBatch);
  ASSERT_TRUE(eval.ok());
  const double error = relative_max_error(*eval, after);
  std::printf("[ parity ] mobilenet_v2 after a training-mode forward: %.3g\n", error);
  EXPECT_LE(error, kParityTolerance);
}

// The ops and attribute combinations the zoo does not use: Pad, asymmetric and ceil-mode pooling
// (both count_include_pad settings), Concat, Mul, Reshape, Softmax over channels, Dropout (identity
// in eval), stand-alone activations and fused ones on Conv2d, Add and BatchNorm.
TEST(TorchGraphTest, EveryOpEqualsReferenceRuntime) {
  TinyGraph b;
  const ir::TensorId x = b.input("x", {ir::kDynamicDim, 3, 9, 10});
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.stride_h = conv.stride_w = 2;
  conv.padding = {0, 1, 1, 0};  // asymmetric, Keras "same" style
  ir::TensorId y = b.node("conv_asym", ir::OpKind::kConv2d,
                          {x, b.constant("conv_asym.w", {6, 3, 3, 3}, -0.5f, 0.5f), b.constant("conv_asym.b", {6}, -0.1f, 0.1f)},
                          conv, ir::Activation::kHardSwish);
  ir::Conv2dAttrs dilated;
  dilated.kernel_h = dilated.kernel_w = 3;
  dilated.dilation_h = dilated.dilation_w = 2;
  dilated.padding = {2, 2, 2, 2};
  dilated.groups = 3;
  ir::TensorId d = b.node("conv_dilated_grouped", ir::OpKind::kConv2d,
                          {y, b.constant("conv_d.w", {6, 2, 3, 3}, -0.5f, 0.5f)}, dilated);
  ir::BatchNormAttrs bn;
  bn.epsilon = 1e-3f;
  d = b.node("bn", ir::OpKind::kBatchNorm,
             {d, b.constant("bn.g", {6}, 0.5f, 1.5f), b.constant("bn.b", {6}, -0.2f, 0.2f),
              b.constant("bn.m", {6}, -0.2f, 0.2f), b.constant("bn.v", {6}, 0.5f, 1.5f)},
             bn, ir::Activation::kRelu6);
  y = b.node("add", ir::OpKind::kAdd, {y, d}, {}, ir::Activation::kSigmoid);
  ir::PadAttrs pad;
  pad.pads = {0, 0, 1, 0, 0, 0, 0, 2};
  pad.value = 0.25f;
  y = b.node("pad", ir::OpKind::kPad, {y}, pad);
  ir::Pool2dAttrs max_pool;
  max_pool.kernel_h = max_pool.kernel_w = 3;
  max_pool.stride_h = max_pool.stride_w = 2;
  max_pool.padding = {1, 0, 0, 1};
  max_pool.ceil_mode = true;
  const ir::TensorId m = b.node("max_asym_ceil", ir::OpKind::kMaxPool, {y}, max_pool);
  ir::Pool2dAttrs avg = max_pool;
  avg.count_include_pad = true;
  const ir::TensorId a1 = b.node("avg_asym_ceil_incl", ir::OpKind::kAvgPool, {y}, avg);
  avg.count_include_pad = false;
  const ir::TensorId a2 = b.node("avg_asym_ceil_excl", ir::OpKind::kAvgPool, {y}, avg);
  ir::Pool2dAttrs sym;
  sym.kernel_h = sym.kernel_w = 3;
  sym.stride_h = sym.stride_w = 2;
  sym.padding = {1, 1, 1, 1};
  sym.ceil_mode = true;
  sym.count_include_pad = false;
  const ir::TensorId a3 = b.node("avg_sym_ceil_excl", ir::OpKind::kAvgPool, {y}, sym);
  ir::ConcatAttrs cat;
  cat.axis = 1;
  y = b.node("concat", ir::OpKind::kConcat, {m, a1, a2, a3}, cat);
  const ir::TensorId gate = b.node("hsig", ir::OpKind::kHardSigmoid, {b.node("gap", ir::OpKind::kGlobalAvgPool, {y})});
  y = b.node("mul", ir::OpKind::kMul, {y, gate});
  ir::SoftmaxAttrs softmax;
  softmax.axis = 1;
  y = b.node("softmax_channels", ir::OpKind::kSoftmax, {y}, softmax);
  y = b.node("relu", ir::OpKind::kRelu, {b.node("hswish", ir::OpKind::kHardSwish, {y})});
  y = b.node("relu6", ir::OpKind::kRelu6, {b.node("sigmoid", ir::OpKind::kSigmoid, {y})});
  ir::DropoutAttrs dropout;
  dropout.ratio = 0.3f;
  y = b.node("dropout", ir::OpKind::kDropout, {y}, dropout);
  ir::ReshapeAttrs reshape;
  reshape.shape = {0, 24, -1};
  y = b.node("reshape", ir::OpKind::kReshape, {y}, reshape);
  y = b.node("flatten", ir::OpKind::kFlatten, {y});
  y = b.node("fc", ir::OpKind::kLinear, {y, b.constant("fc.w", {4, 24 * 3 * 4}, -0.2f, 0.2f), b.constant("fc.b", {4}, -0.1f, 0.1f)},
             {}, ir::Activation::kNone);
  ir::Graph graph = b.finish(y);

  constexpr int64_t kBatch = 3;
  const std::vector<float> input = uniform(kBatch * 3 * 9 * 10, -2, 2, 21);
  const std::vector<float> expected = run_reference(graph, input, kBatch);
  auto torch_graph = TorchGraph::create(graph);
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  auto actual = (*torch_graph)->forward(input, kBatch);
  ASSERT_TRUE(actual.ok()) << actual.status().message();
  float scale = 0.0f;
  for (float v : expected) scale = std::max(scale, std::fabs(v));
  EXPECT_GT(scale, 0.01f);
  const double error = relative_max_error(*actual, expected);
  std::printf("[ parity ] every-op graph: %.3g (output scale %.3g)\n", error, scale);
  EXPECT_LE(error, 1e-5);
}

// With ceil_mode, a last window that would start in the bottom/right padding is dropped (the
// reference's rule, pool2d.h); torch, given explicitly padded input, would keep it.
TEST(TorchGraphTest, CeilModePoolingDropsWindowsStartingInThePadding) {
  for (ir::OpKind kind : {ir::OpKind::kMaxPool, ir::OpKind::kAvgPool}) {
    for (bool include_pad : {true, false}) {
      TinyGraph b;
      const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2, 9, 10});
      ir::Pool2dAttrs pool;
      pool.kernel_h = pool.kernel_w = 4;
      pool.stride_h = pool.stride_w = 3;
      pool.padding = {0, 0, 2, 2};  // H: 3 windows (a 4th would start at row 9), W: 4
      pool.ceil_mode = true;
      pool.count_include_pad = include_pad;
      const ir::TensorId y = b.node("pool", kind, {x}, pool);
      ir::Graph graph = b.finish(b.node("flatten", ir::OpKind::kFlatten, {y}));
      const std::vector<float> input = uniform(2 * 2 * 9 * 10, -1, 1, 4);
      const std::vector<float> expected = run_reference(graph, input, 2);
      ASSERT_EQ(expected.size(), 2u * 2 * 3 * 4);
      auto torch_graph = TorchGraph::create(graph);
      ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
      auto actual = (*torch_graph)->forward(input, 2);
      ASSERT_TRUE(actual.ok()) << actual.status().message();
      EXPECT_LE(relative_max_error(*actual, expected), 1e-6) << ir::op_kind_name(kind) << " " << include_pad;
    }
  }
}

TEST(TorchGraphTest, Int8WeightIsAnErrorNamingTheNode) {
  TinyGraph b;
  const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2, 4, 4});
  const std::vector<int8_t> weights(4 * 2, 1);
  const ir::TensorId w = b.graph.add_constant("conv.w", {4, 2, 1, 1}, ir::DType::kInt8,
                                              Buffer::copy_of(weights.data(), weights.size()));
  b.graph.tensor(w).quant.scales = {0.1f};
  b.graph.tensor(w).quant.zero_points = {0};
  ir::Conv2dAttrs conv;
  const ir::TensorId y = b.node("quantized_conv", ir::OpKind::kConv2d, {x, w}, conv);
  ir::Graph graph = b.finish(y);
  auto torch_graph = TorchGraph::create(graph);
  ASSERT_FALSE(torch_graph.ok());
  EXPECT_EQ(torch_graph.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(torch_graph.status().message().find("quantized_conv"), std::string::npos) << torch_graph.status().message();
  EXPECT_NE(torch_graph.status().message().find("conv.w"), std::string::npos) << torch_graph.status().message();
}

TEST(TorchGraphTest, BadInputsAreErrors) {
  TinyGraph b;
  const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2});
  const ir::TensorId y = b.node("fc", ir::OpKind::kLinear, {x, b.constant("fc.w", {3, 2}, -1, 1)});
  ir::Graph graph = b.finish(y);
  auto torch_graph = TorchGraph::create(graph);
  ASSERT_TRUE(torch_graph.ok()) << torch_graph.status().message();
  EXPECT_FALSE((*torch_graph)->forward({1, 2, 3}, 1).ok());
  EXPECT_FALSE((*torch_graph)->forward({1, 2}, 0).ok());
  EXPECT_EQ((*torch_graph)->set_requires_grad("nope", false).code(), StatusCode::kNotFound);
  ir::Graph other = graph;
  other.tensor(*other.find_tensor("fc.w")).shape = {2, 3};
  EXPECT_FALSE((*torch_graph)->write_back(other).ok());
}

}  // namespace
}  // namespace gramlite::train
