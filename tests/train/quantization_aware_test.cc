// Quantization-aware training: the fake-quantization numerics against ir/quantization.h's
// (value for value), the straight-through gradient, the observers, batch-norm folding during
// training, where the quantization points are; then whole runs on synthetic tiles (resume exactly,
// accuracy against post-training fake quantization).
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "gramlite/compress/quantize.h"
#include "gramlite/data/dataset/folder_dataset.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/runtime/session.h"
#include "gramlite/train/quantization_aware.h"
#include "gramlite/zoo/zoo.h"
#include "train/checkpoint.h"
#include "train/fake_quant.h"
#include "train/torch_graph_internal.h"
#include "tile_dataset_test.h"
#include "train_test_util.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;
using testing::TinyGraph;

std::vector<float> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.detach().contiguous().to(at::kFloat);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

at::Tensor from_vector(const std::vector<float>& v) {
  return at::tensor(at::ArrayRef<float>(v), at::kFloat);
}

TEST(FakeQuantTest, ForwardEqualsQuantizeDequantizeOnHandValues) {
  // scale 0.25 makes x / scale exact, so the ties are real ties.
  const float scale = 0.25f;
  const int32_t zp = -3;
  // x, then the hand-computed result: q = nearbyint(x / 0.25) - 3 clamped to [-128, 127], 0.25 * (q + 3).
  const std::vector<std::pair<float, float>> cases = {
      {0.0f, 0.0f},       {0.125f, 0.0f},     // 0.5 -> 0 (even)
      {0.375f, 0.5f},                         // 1.5 -> 2
      {-0.125f, 0.0f},    {0.625f, 0.5f},     // -0.5 -> -0; 2.5 -> 2
      {-0.375f, -0.5f},   {1.0f, 1.0f},       // -1.5 -> -2
      {31.125f, 31.0f},                       // 124.5 -> 124, q 121
      {32.125f, 32.0f},                       // 128.5 -> 128, q 125: inside
      {32.625f, 32.5f},                       // 130.5 -> 130, q 127: the edge, inside
      {32.875f, 32.5f},                       // 131.5 -> 132, q 129: saturates to 127
      {100.0f, 32.5f},    {-31.25f, -31.25f}, // q -128: the lower edge
      {-33.0f, -31.25f},                      // q -135: saturates to -128
  };
  std::vector<float> xs;
  for (const auto& c : cases) xs.push_back(c.first);
  const std::vector<float> ys = to_vector(fake_quantize_per_tensor(from_vector(xs), scale, zp));
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ys[i], cases[i].second) << "x = " << cases[i].first;
    EXPECT_EQ(ys[i], ir::dequantize_value(ir::quantize_value(cases[i].first, scale, zp), scale, zp)) << cases[i].first;
  }

  // A realistic scale, many values: equal to ir::quantize_value / dequantize_value, every one.
  const ir::AffineQuant q = ir::choose_activation_quant(-1.3f, 4.7f);
  const std::vector<float> many = testing::uniform(200000, -1.6f, 5.0f, 17);
  const std::vector<float> ours = to_vector(fake_quantize_per_tensor(from_vector(many), q.scale, q.zero_point));
  const std::vector<float> torchs = to_vector(at::fake_quantize_per_tensor_affine(from_vector(many), q.scale, q.zero_point, -128, 127));
  int64_t torch_differs = 0;
  for (size_t i = 0; i < many.size(); ++i) {
    const float expected = ir::dequantize_value(ir::quantize_value(many[i], q.scale, q.zero_point), q.scale, q.zero_point);
    ASSERT_EQ(ours[i], expected) << "x = " << many[i];
    if (torchs[i] != expected) {
      ++torch_differs;
      // libtorch's kernel rounds x * (1 / scale) in float: it may fall on the other side of a tie,
      // one step away, never more.
      EXPECT_NEAR(std::fabs(torchs[i] - expected), q.scale, q.scale * 1e-3) << "x = " << many[i];
    }
  }
  std::printf("at::fake_quantize_per_tensor_affine differs from ir::quantize_value on %lld of %zu values (scale %.9g)\n",
              static_cast<long long>(torch_differs), many.size(), static_cast<double>(q.scale));
}

TEST(FakeQuantTest, StraightThroughGradientPassesInsideTheRangeOnly) {
  const float scale = 0.25f;
  const int32_t zp = -3;
  // Inside: q in [-128, 127] before clamping; outside: clamped.
  const std::vector<float> xs = {0.0f, 0.375f, -0.375f, 32.625f, -31.25f, 32.875f, 100.0f, -31.5f, -33.0f};
  const std::vector<float> expected = {1, 1, 1, 1, 1, 0, 0, 0, 0};
  at::Tensor x = from_vector(xs).requires_grad_(true);
  fake_quantize_per_tensor(x, scale, zp).sum().backward();
  EXPECT_EQ(to_vector(x.grad()), expected);
  // The same gradient as libtorch's own fake quantization.
  at::Tensor x2 = from_vector(xs).requires_grad_(true);
  at::fake_quantize_per_tensor_affine(x2, scale, zp, -128, 127).sum().backward();
  EXPECT_EQ(to_vector(x2.grad()), expected);
  // Scaled upstream gradients pass unchanged.
  at::Tensor x3 = from_vector(xs).requires_grad_(true);
  (fake_quantize_per_tensor(x3, scale, zp) * 3.0).sum().backward();
  EXPECT_EQ(to_vector(x3.grad()), to_vector(from_vector(expected) * 3.0));
}

TEST(FakeQuantTest, WeightsPerChannelPerTensorAndSevenBits) {
  // [3, 2, 1, 1]: channel 0 max 1.27, channel 1 max 0.5, channel 2 zero.
  const std::vector<float> w = {1.27f, -0.3f, 0.25f, -0.5f, 0.0f, 0.0f};
  const at::Tensor weight = from_vector(w).reshape({3, 2, 1, 1});
  const auto expect_quantized = [&](const std::vector<float>& got, const std::vector<float>& scales, int levels) {
    for (size_t i = 0; i < w.size(); ++i) {
      const float s = scales[scales.size() == 1 ? 0 : i / 2];
      EXPECT_EQ(got[i], ir::dequantize_value(ir::quantize_value(w[i], s, 0, -levels, levels), s, 0)) << i;
    }
  };
  std::vector<float> scales;
  const std::vector<float> per_channel = to_vector(fake_quantize_weight(weight, false, 8, &scales));
  ASSERT_EQ(scales.size(), 3u);
  EXPECT_EQ(scales[0], ir::choose_weight_scale(1.27f, 8));
  EXPECT_EQ(scales[1], ir::choose_weight_scale(0.5f, 8));
  EXPECT_EQ(scales[2], 1.0f);  // a zero channel
  expect_quantized(per_channel, scales, 127);
  EXPECT_EQ(per_channel[0], 1.27f / 127.0f * 127.0f);  // the largest magnitude is exact (q = 127)
  const std::vector<float> per_tensor = to_vector(fake_quantize_weight(weight, true, 8, &scales));
  ASSERT_EQ(scales.size(), 1u);
  EXPECT_EQ(scales[0], ir::choose_weight_scale(1.27f, 8));
  expect_quantized(per_tensor, scales, 127);
  EXPECT_NE(per_tensor[2], per_channel[2]);  // 0.25: 63.5 steps of channel 1 (-> 64), 25 of the tensor
  const std::vector<float> seven = to_vector(fake_quantize_weight(weight, false, 7, &scales));
  EXPECT_EQ(scales[0], ir::choose_weight_scale(1.27f, 7));
  expect_quantized(seven, scales, 63);
  // Weights never saturate: the gradient is 1 everywhere.
  at::Tensor trained = weight.clone().requires_grad_(true);
  fake_quantize_weight(trained, false, 8).sum().backward();
  EXPECT_EQ(to_vector(trained.grad()), std::vector<float>(6, 1.0f));
}

TEST(FakeQuantTest, MovingAverageObserverOnAKnownSequence) {
  MovingAverageObserver o;
  EXPECT_FALSE(o.initialized);
  o.update(from_vector({-1.0f, 0.5f, 2.0f}), 0.01f);  // the first batch sets the range
  EXPECT_TRUE(o.initialized);
  EXPECT_EQ(o.min, -1.0f);
  EXPECT_EQ(o.max, 2.0f);
  o.update(from_vector({-3.0f, 1.0f}), 0.01f);
  EXPECT_FLOAT_EQ(o.min, -1.02f);  // -1 + 0.01 * (-3 - -1)
  EXPECT_FLOAT_EQ(o.max, 1.99f);   // 2 + 0.01 * (1 - 2)
  o.update(from_vector({0.0f, 10.0f}), 0.01f);
  EXPECT_FLOAT_EQ(o.min, -1.0098f);  // -1.02 + 0.01 * (0 + 1.02)
  EXPECT_FLOAT_EQ(o.max, 2.0701f);   // 1.99 + 0.01 * (10 - 1.99)
  const float min = o.min;
  o.update(from_vector({std::nanf(""), 1.0f}), 0.01f);  // a non-finite batch leaves it alone
  EXPECT_EQ(o.min, min);
  const ir::AffineQuant q = o.quant();
  const ir::AffineQuant expected = ir::choose_activation_quant(o.min, o.max);
  EXPECT_EQ(q.scale, expected.scale);
  EXPECT_EQ(q.zero_point, expected.zero_point);
}

// x [N, 2, 6, 6] -> Conv 3x3 pad 1 -> BatchNorm + ReLU -> MaxPool 2 -> GlobalAvgPool -> Flatten
// -> Linear -> 3.
ir::Graph tiny_classifier() {
  TinyGraph b;
  const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2, 6, 6});
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  ir::TensorId y = b.node("conv", ir::OpKind::kConv2d,
                          {x, b.constant("conv.weight", {4, 2, 3, 3}, -0.5f, 0.5f), b.constant("conv.bias", {4}, -0.1f, 0.1f)},
                          conv);
  y = b.node("bn", ir::OpKind::kBatchNorm,
             {y, b.constant("bn.weight", {4}, 0.5f, 1.5f), b.constant("bn.bias", {4}, -0.1f, 0.1f),
              b.constant("bn.running_mean", {4}, -0.2f, 0.2f), b.constant("bn.running_var", {4}, 0.5f, 1.5f)},
             ir::BatchNormAttrs{}, ir::Activation::kRelu);
  ir::Pool2dAttrs pool;
  pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
  y = b.node("pool", ir::OpKind::kMaxPool, {y}, pool);
  y = b.node("flatten", ir::OpKind::kFlatten, {b.node("gap", ir::OpKind::kGlobalAvgPool, {y})});
  y = b.node("fc", ir::OpKind::kLinear, {y, b.constant("fc.weight", {3, 4}, -0.5f, 0.5f), b.constant("fc.bias", {3}, -0.1f, 0.1f)});
  return b.finish(y);
}

struct Attached {
  std::unique_ptr<TorchGraph> torch;
  std::shared_ptr<FakeQuantization> fq;
};

Attached attach(const ir::Graph& graph, const FakeQuantOptions& options) {
  Attached a;
  auto torch = TorchGraph::create(graph, {1, 7});
  EXPECT_TRUE(torch.ok()) << torch.status().message();
  a.torch = std::move(torch).value();
  auto fq = FakeQuantization::attach(*a.torch, graph, options);
  EXPECT_TRUE(fq.ok()) << fq.status().message();
  a.fq = std::move(fq).value();
  return a;
}

std::vector<float> forward(TorchGraph& graph, const at::Tensor& x) {
  c10::AutoGradMode no_grad(false);
  return to_vector(internal::forward(graph, {x})[0]);
}

TEST(FakeQuantGraphTest, QuantizationPointsAreThePreparedGraphsActivations) {
  const ir::Graph graph = tiny_classifier();
  Attached a = attach(graph, {});
  // The prepared graph: Conv2d (BN folded, ReLU fused; output "bn:out"), MaxPool, GlobalAvgPool,
  // Flatten, Linear. The convolution's own output and the batch norm's input are gone.
  const std::map<std::string, size_t>& of = a.fq->observer_of();
  std::vector<std::string> names;
  for (const auto& [name, index] : of) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"bn:out", "fc:out", "flatten:out", "gap:out", "pool:out", "x"}));
  EXPECT_EQ(of.at("pool:out"), of.at("bn:out"));      // max pooling keeps its input's parameters
  EXPECT_EQ(of.at("flatten:out"), of.at("gap:out"));  // so does a view
  EXPECT_NE(of.at("gap:out"), of.at("bn:out"));       // average pooling requantizes
  EXPECT_EQ(a.fq->observers().size(), 4u);

  // Observers move in training mode only, and not once frozen.
  at::manual_seed(5);
  const at::Tensor x = at::randn({4, 2, 6, 6});
  a.torch->set_training(false);
  forward(*a.torch, x);
  for (const MovingAverageObserver& o : a.fq->observers()) EXPECT_FALSE(o.initialized) << o.tensor;
  a.torch->set_training(true);
  forward(*a.torch, x);
  const MovingAverageObserver& input = a.fq->observers()[of.at("x")];
  EXPECT_TRUE(input.initialized);
  EXPECT_EQ(input.min, x.min().item<float>());
  EXPECT_EQ(input.max, x.max().item<float>());
  EXPECT_EQ(a.fq->observers()[of.at("bn:out")].min, 0.0f);  // after the fused ReLU
  const at::Tensor x2 = x * 3.0;
  a.fq->set_observers_frozen(true);
  forward(*a.torch, x2);
  EXPECT_EQ(input.max, x.max().item<float>());
  a.fq->set_observers_frozen(false);
  forward(*a.torch, x2);
  EXPECT_FLOAT_EQ(input.max, x.max().item<float>() + 0.01f * (x2.max().item<float>() - x.max().item<float>()));
  auto ranges = a.fq->ranges();
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  EXPECT_EQ(ranges->size(), 6u);
  EXPECT_EQ(ranges->at("pool:out").max, ranges->at("bn:out").max);
}

// A HardSwish (a lookup table in int8, not a clamp) is split off its op by the int8 conversion:
// the op's output is quantized too, under "<op>.pre_activation", whether the activation is a node
// of its own or fused.
TEST(FakeQuantGraphTest, TableActivationsQuantizeTheirInputToo) {
  for (const bool fused : {false, true}) {
    TinyGraph b;
    const ir::TensorId x = b.input("x", {ir::kDynamicDim, 2, 4, 4});
    ir::Conv2dAttrs conv;
    ir::TensorId y = b.node("conv", ir::OpKind::kConv2d, {x, b.constant("conv.weight", {3, 2, 1, 1}, -1.0f, 1.0f)}, conv,
                            fused ? ir::Activation::kHardSwish : ir::Activation::kNone);
    if (!fused) y = b.node("hswish", ir::OpKind::kHardSwish, {y});
    y = b.node("flatten", ir::OpKind::kFlatten, {b.node("gap", ir::OpKind::kGlobalAvgPool, {y})});
    y = b.node("fc", ir::OpKind::kLinear, {y, b.constant("fc.weight", {2, 3}, -0.5f, 0.5f)});
    const ir::Graph graph = b.finish(y);
    Attached a = attach(graph, {});
    const std::string activation = fused ? "conv:out" : "hswish:out";
    std::vector<std::string> names;
    for (const auto& [name, index] : a.fq->observer_of()) names.push_back(name);
    const std::set<std::string> expected = {activation, "conv.pre_activation", "fc:out", "flatten:out", "gap:out", "x"};
    EXPECT_EQ(names, std::vector<std::string>(expected.begin(), expected.end()));
    a.torch->set_training(true);
    at::manual_seed(4);
    const at::Tensor input = at::randn({4, 2, 4, 4}) * 3.0;
    forward(*a.torch, input);
    const MovingAverageObserver& pre = a.fq->observers()[a.fq->observer_of().at("conv.pre_activation")];
    const MovingAverageObserver& post = a.fq->observers()[a.fq->observer_of().at(activation)];
    EXPECT_LT(pre.min, -0.5f);   // before HardSwish: the convolution's negative outputs
    EXPECT_GE(post.min, -0.375f);  // HardSwish's own minimum
  }
}

TEST(FakeQuantGraphTest, BatchNormFoldedDuringTrainingEqualsConvThenBatchNorm) {
  const ir::Graph graph = tiny_classifier();
  FakeQuantOptions float_only;
  float_only.quantize_weights = false;
  float_only.quantize_activations = false;
  Attached folded = attach(graph, float_only);
  auto plain = TorchGraph::create(graph, {1, 7});
  ASSERT_TRUE(plain.ok());
  at::manual_seed(9);
  const at::Tensor x = at::randn({6, 2, 6, 6});

  // Before the freeze: batch statistics (the folded weight divided out again), running stats updated alike.
  folded.torch->set_training(true);
  (*plain)->set_training(true);
  const std::vector<float> reference = forward(**plain, x);
  EXPECT_LT(testing::relative_max_error(forward(*folded.torch, x), reference), 1e-5);
  ir::Graph after_plain = graph;
  ir::Graph after_folded = graph;
  ASSERT_TRUE((*plain)->write_back(after_plain).ok());
  ASSERT_TRUE(folded.torch->write_back(after_folded).ok());
  EXPECT_EQ(testing::values_of(after_folded, "bn.running_var"), testing::values_of(after_plain, "bn.running_var"));

  // After the freeze (eval, or a frozen batch norm in training): the folded convolution.
  folded.torch->set_training(false);
  (*plain)->set_training(false);
  const std::vector<float> eval = forward(**plain, x);
  EXPECT_LT(testing::relative_max_error(forward(*folded.torch, x), eval), 1e-5);
  folded.torch->set_training(true);
  ASSERT_TRUE(folded.torch->set_batch_norm_frozen("bn", true).ok());
  EXPECT_LT(testing::relative_max_error(forward(*folded.torch, x), eval), 1e-5);

  // With weight fake quantization, eval equals the prepared graph (ir::optimize_for_inference) with
  // its weights quantized per channel by ir::quantize_value, run by the reference runtime.
  Attached quantized = attach(after_plain, [] {
    FakeQuantOptions o;
    o.quantize_activations = false;
    return o;
  }());
  ir::Graph prepared = after_plain;
  ASSERT_TRUE(ir::optimize_for_inference(prepared).ok());
  for (const ir::Node& node : prepared.nodes) {
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
    ir::Tensor& w = prepared.tensor(node.inputs[1]);
    std::vector<float> values(w.data.as<float>(), w.data.as<float>() + w.element_count());
    const size_t channels = static_cast<size_t>(w.shape[0]);
    const size_t per = values.size() / channels;
    for (size_t c = 0; c < channels; ++c) {
      float max_abs = 0.0f;
      for (size_t k = 0; k < per; ++k) max_abs = std::max(max_abs, std::fabs(values[c * per + k]));
      const float s = ir::choose_weight_scale(max_abs, 8);
      for (size_t k = 0; k < per; ++k) {
        float& v = values[c * per + k];
        v = ir::dequantize_value(ir::quantize_value(v, s, 0, -127, 127), s, 0);
      }
    }
    w.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  }
  quantized.torch->set_training(false);
  const std::vector<float> input = to_vector(x);
  const std::vector<float> runtime = testing::run_reference(prepared, input, 6);
  EXPECT_LT(testing::relative_max_error(forward(*quantized.torch, x), runtime), 1e-5);
  // ...and differs from the float model (the weights did move to the grid).
  EXPECT_GT(testing::relative_max_error(forward(*quantized.torch, x), testing::run_reference(after_plain, input, 6)), 1e-5);
}

TEST(FakeQuantGraphTest, GradientsReachEveryParameterThroughTheFoldedWeights) {
  const ir::Graph graph = tiny_classifier();
  Attached a = attach(graph, {});
  a.torch->set_training(true);
  at::manual_seed(2);
  const at::Tensor x = at::randn({8, 2, 6, 6});
  const at::Tensor y = internal::forward(*a.torch, {x})[0];
  at::cross_entropy_loss(y, at::tensor({0, 1, 2, 0, 1, 2, 0, 1}, at::kLong)).backward();
  for (const at::Tensor& p : internal::trainable_tensors(*a.torch)) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
}

TEST(FakeQuantGraphTest, BadSettingsAreRefused) {
  const ir::Graph graph = tiny_classifier();
  auto torch = TorchGraph::create(graph);
  ASSERT_TRUE(torch.ok());
  FakeQuantOptions o;
  o.weight_bits = 9;
  EXPECT_FALSE(FakeQuantization::attach(**torch, graph, o).ok());
  o = {};
  o.observer_momentum = 0.0f;
  EXPECT_FALSE(FakeQuantization::attach(**torch, graph, o).ok());
  QuantizationAwareOptions q;
  q.job.epochs = 2;
  q.freeze_observers_epoch = 0;
  auto r = run_quantization_aware_training(q);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("freeze_observers_epoch"), std::string::npos) << r.status().message();
}

// Whole runs on synthetic Gram-stain tiles (slow).
class QatJobTest : public testing::TileDatasetTest<QatJobTest> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(make_root("gramlite_qat", {{"gram2", 200, 64, 11}, {"small", 30, 64, 11}}));
  }

  // A float mobilenet_v2 (width 0.35, 64 px) for gram2, random weights or trained `epochs` epochs.
  std::string float_model(int epochs, const std::string& dataset) {
    const std::string path = file("float.gramlite");
    TrainingJobOptions job;
    job.model.arch = "mobilenet_v2";
    job.model.alpha = 0.35;
    job.model.input_size = 64;
    job.data = data(dataset);
    job.epochs = epochs;
    job.batch = 16;
    job.learning_rate = 1e-2;
    job.seed = 4;
    job.threads = 1;
    job.workers = 1;
    job.output = path;
    auto trained = run_training_job(job);
    EXPECT_TRUE(trained.ok()) << trained.status().message();
    if (trained.ok()) float_epoch_seconds_ = mean_epoch_seconds(trained->summary.history);
    return path;
  }

  QuantizationAwareOptions qat(const std::string& model, const std::string& dataset, int epochs) const {
    QuantizationAwareOptions o;
    o.job.model.model_file = model;
    o.job.data = data(dataset);
    o.job.epochs = epochs;
    o.job.batch = 16;
    o.job.learning_rate = 1e-4;
    o.job.seed = 5;
    o.job.threads = 1;
    o.job.workers = 1;
    return o;
  }

  // Top-1 accuracy on the test split of `dataset`, in libtorch: the float graph, or with fake
  // quantization from `ranges`.
  static double accuracy(const ir::Graph& model, const std::string& dataset, const ir::ActivationRanges* ranges) {
    auto torch = TorchGraph::create(model, {1, 0});
    EXPECT_TRUE(torch.ok()) << torch.status().message();
    if (ranges != nullptr) {
      auto fq = FakeQuantization::attach(**torch, model, {});
      EXPECT_TRUE(fq.ok()) << fq.status().message();
      EXPECT_TRUE((*fq)->set_ranges(*ranges).ok());
    }
    return accuracy(**torch, dataset, "test", model.metadata.preprocessing);
  }
  static double accuracy(TorchGraph& torch, const std::string& dataset, const std::string& split,
                         const ir::Preprocessing& preprocessing) {
    torch.set_training(false);
    data::FolderDatasetOptions options;
    options.split = split;
    auto set = data::open_folder_dataset(data(dataset), options);
    EXPECT_TRUE(set.ok());
    data::DataLoaderOptions loader_options;
    loader_options.batch_size = 16;
    loader_options.shuffle = false;
    loader_options.workers = 1;
    loader_options.input.width = loader_options.input.height = 64;
    loader_options.input.preprocessing = preprocessing;
    auto loader = data::DataLoader::create(*set, loader_options);
    EXPECT_TRUE(loader.ok());
    (*loader)->start_epoch(0);
    int64_t correct = 0;
    int64_t seen = 0;
    while (std::optional<data::Batch> batch = (*loader)->next()) {
      auto logits = torch.forward(batch->images, batch->size);
      EXPECT_TRUE(logits.ok()) << logits.status().message();
      const size_t classes = logits->size() / static_cast<size_t>(batch->size);
      for (int i = 0; i < batch->size; ++i) {
        const float* row = logits->data() + static_cast<size_t>(i) * classes;
        const auto top = static_cast<int>(std::max_element(row, row + classes) - row);
        correct += top == batch->labels[static_cast<size_t>(i)] ? 1 : 0;
      }
      seen += batch->size;
    }
    return seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  }

  static double mean_epoch_seconds(const std::vector<EpochRecord>& history) {
    double sum = 0.0;
    for (const EpochRecord& r : history) sum += r.seconds;
    return history.empty() ? 0.0 : sum / static_cast<double>(history.size());
  }

  double float_epoch_seconds_ = 0.0;
};

TEST_F(QatJobTest, ResumeReproducesTheUninterruptedRun) {
  const std::string model = float_model(1, "small");
  // Batch norm frozen from the second epoch, observers from the third: one freeze before the
  // interruption (after epoch 2), one after the resume.
  QuantizationAwareOptions o = qat(model, "small", 3);
  o.freeze_batch_norm_epoch = 1;
  o.freeze_observers_epoch = 2;
  o.job.checkpoint = file("whole.ckpt");
  auto whole = run_quantization_aware_training(o);
  ASSERT_TRUE(whole.ok()) << whole.status().message();

  o.job.checkpoint = file("split.ckpt");
  TrainingJobCallbacks stop;
  stop.trainer.on_epoch = [](const EpochRecord& r) {
    if (r.epoch == 2) throw testing::StopAfter();
  };
  ASSERT_FALSE(run_quantization_aware_training(o, stop).ok());
  o.job.resume = true;
  int resumed_after = -1;
  TrainingJobCallbacks note;
  note.trainer.on_resume = [&](int done) { resumed_after = done; };
  auto resumed = run_quantization_aware_training(o, note);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed_after, 2);
  const auto& a = whole->training.summary.history;
  const auto& b = resumed->training.summary.history;
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b[i].train_loss, a[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(b[i].val_loss, a[i].val_loss) << "epoch " << i + 1;
  }
  EXPECT_EQ(format::serialize_model(resumed->prepared_float).value(), format::serialize_model(whole->prepared_float).value());
  EXPECT_EQ(format::serialize_model(resumed->training.summary.model).value(),
            format::serialize_model(whole->training.summary.model).value());
  ASSERT_EQ(resumed->ranges.size(), whole->ranges.size());
  for (const auto& [name, range] : whole->ranges) {
    ASSERT_EQ(resumed->ranges.count(name), 1u) << name;
    EXPECT_EQ(std::memcmp(&resumed->ranges.at(name), &range, sizeof(range)), 0) << name;
  }
  auto last_whole = load_checkpoint(file("whole.ckpt"));
  auto last_resumed = load_checkpoint(file("split.ckpt"));
  ASSERT_TRUE(last_whole.ok() && last_resumed.ok());
  // The quantization state in the checkpoints (the rest holds timings).
  const auto quantization_state = [](const std::string& state) {
    const size_t begin = state.find("\"quantization\":");
    const size_t end = state.find(",\"stale_epochs\"");
    return begin == std::string::npos || end == std::string::npos ? std::string() : state.substr(begin, end - begin);
  };
  const std::string whole_state = quantization_state(last_whole->state_json);
  EXPECT_NE(whole_state.find("\"observers_frozen\":true"), std::string::npos);
  EXPECT_NE(whole_state.find("\"batch_norm_frozen\":true"), std::string::npos);
  EXPECT_TRUE(quantization_state(last_resumed->state_json) == whole_state);  // (not printed: long)

  // Every activation of the prepared graph has its range; batch norm is folded.
  for (const ir::Node& node : whole->prepared_float.nodes) {
    EXPECT_NE(node.kind, ir::OpKind::kBatchNorm) << node.name;
    if (node.kind == ir::OpKind::kSoftmax) continue;
    EXPECT_EQ(whole->ranges.count(whole->prepared_float.tensor(node.outputs[0]).name), 1u) << node.name;
  }

  // Other quantization settings, or a float run's checkpoint, are refused naming what differs.
  o.weight_bits = 7;
  auto refused = run_quantization_aware_training(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("quantization_aware"), std::string::npos) << refused.status().message();
}

// Top-1 per image of the int8 model (the runtime) and of the fake-quantized torch forward pass.
std::vector<int> top1(const std::vector<float>& logits, int count) {
  std::vector<int> result;
  const size_t classes = logits.size() / static_cast<size_t>(count);
  for (int i = 0; i < count; ++i) {
    const float* row = logits.data() + static_cast<size_t>(i) * classes;
    result.push_back(static_cast<int>(std::max_element(row, row + classes) - row));
  }
  return result;
}

TEST_F(QatJobTest, KeepsOrImprovesAccuracyOverPostTrainingFakeQuantization) {
  const std::string model_path = float_model(8, "gram2");
  auto model = format::load_model(model_path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const double float_accuracy = accuracy(*model, "gram2", nullptr);

  // Post-training: the same observers over the training images (one pass, batch norm frozen, no
  // step), then fake-quantized evaluation.
  auto torch = TorchGraph::create(*model, {1, 0});
  ASSERT_TRUE(torch.ok());
  auto fq = FakeQuantization::attach(**torch, *model, {});
  ASSERT_TRUE(fq.ok());
  for (const ParameterInfo& p : (*torch)->parameters()) {
    if (p.trainable) {
      ASSERT_TRUE((*torch)->set_requires_grad(p.tensor, false).ok());
    }
  }
  for (const ir::Node& node : model->nodes) {
    if (node.kind == ir::OpKind::kBatchNorm) {
      ASSERT_TRUE((*torch)->set_batch_norm_frozen(node.name, true).ok());
    }
  }
  (*torch)->set_training(true);
  {
    data::FolderDatasetOptions options;
    options.split = "train";
    auto set = data::open_folder_dataset(data("gram2"), options);
    ASSERT_TRUE(set.ok());
    data::DataLoaderOptions loader_options;
    loader_options.batch_size = 16;
    loader_options.shuffle = false;
    loader_options.workers = 1;
    loader_options.input.width = loader_options.input.height = 64;
    loader_options.input.preprocessing = model->metadata.preprocessing;
    auto loader = data::DataLoader::create(*set, loader_options);
    ASSERT_TRUE(loader.ok());
    (*loader)->start_epoch(0);
    c10::AutoGradMode no_grad(false);
    while (std::optional<data::Batch> batch = (*loader)->next()) {
      const at::Tensor x = at::from_blob(batch->images.data(), {batch->size, 3, 64, 64}, at::kFloat);
      internal::forward(**torch, {x});
    }
  }
  const double ptq_accuracy = accuracy(**torch, "gram2", "test", model->metadata.preprocessing);

  QuantizationAwareOptions o = qat(model_path, "gram2", 3);
  auto result = run_quantization_aware_training(o);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const double qat_accuracy = accuracy(result->training.summary.model, "gram2", &result->ranges);
  std::printf("gram2 test (80 tiles), mobilenet_v2 0.35 64 px: float %.4f, post-training fake-quant %.4f, "
              "QAT (3 epochs, lr 1e-4) fake-quant %.4f\n",
              float_accuracy, ptq_accuracy, qat_accuracy);
  std::printf("mean epoch (240 training + 80 validation tiles, 1 thread): float %.2f s, QAT %.2f s\n",
              float_epoch_seconds_, mean_epoch_seconds(result->training.summary.history));
  EXPECT_GE(float_accuracy, 0.6);  // it learned (chance: 0.5)
  // Keeps or improves, with one tile of 80 of slack; counted in tiles (0.9 - 0.0125 > 0.8875 in
  // doubles would refuse exactly one tile).
  EXPECT_GE(std::lround(qat_accuracy * 80), std::lround(ptq_accuracy * 80) - 1);

  // End to end: the int8 model compress::convert_to_int8 makes of the result runs in the int8
  // runtime and picks the class the fake-quantized torch forward pass picks, image for image.
  auto int8 = compress::convert_to_int8(result->prepared_float, result->ranges, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  for (const std::string& node : compress::float_nodes_in_int8_graph(*int8)) {
    const ir::Node& n = int8->nodes[static_cast<size_t>(*int8->find_node(node))];
    EXPECT_EQ(n.kind, ir::OpKind::kSoftmax) << node << " runs in float";
  }
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(*int8));
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto fake = TorchGraph::create(result->training.summary.model, {1, 0});
  ASSERT_TRUE(fake.ok());
  auto fake_quant = FakeQuantization::attach(**fake, result->training.summary.model, {});
  ASSERT_TRUE(fake_quant.ok());
  ASSERT_TRUE((*fake_quant)->set_ranges(result->ranges).ok());
  (*fake)->set_training(false);
  data::FolderDatasetOptions test_options;
  test_options.split = "test";
  auto set = data::open_folder_dataset(data("gram2"), test_options);
  ASSERT_TRUE(set.ok());
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = 16;
  loader_options.shuffle = false;
  loader_options.workers = 1;
  loader_options.input.width = loader_options.input.height = 64;
  loader_options.input.preprocessing = model->metadata.preprocessing;
  auto loader = data::DataLoader::create(*set, loader_options);
  ASSERT_TRUE(loader.ok());
  (*loader)->start_epoch(0);
  int64_t agree = 0;
  int64_t images = 0;
  int64_t int8_correct = 0;
  double max_logit_diff = 0.0;
  double max_logit = 0.0;
  while (std::optional<data::Batch> batch = (*loader)->next()) {
    ASSERT_TRUE((*session)->prepare(batch->size).ok());
    auto int8_out = (*session)->run({batch->images});
    ASSERT_TRUE(int8_out.ok()) << int8_out.status().message();
    auto fake_out = (*fake)->forward(batch->images, batch->size);
    ASSERT_TRUE(fake_out.ok()) << fake_out.status().message();
    const std::vector<int> a = top1((*int8_out)[0], batch->size);
    const std::vector<int> b = top1(*fake_out, batch->size);
    for (int i = 0; i < batch->size; ++i) {
      agree += a[static_cast<size_t>(i)] == b[static_cast<size_t>(i)] ? 1 : 0;
      int8_correct += a[static_cast<size_t>(i)] == batch->labels[static_cast<size_t>(i)] ? 1 : 0;
    }
    images += batch->size;
    // Logits when the model has no Softmax; else probabilities: either way, the outputs compared.
    for (size_t i = 0; i < fake_out->size(); ++i) {
      max_logit_diff = std::max(max_logit_diff, static_cast<double>(std::fabs((*int8_out)[0][i] - (*fake_out)[i])));
      max_logit = std::max(max_logit, static_cast<double>(std::fabs((*fake_out)[i])));
    }
  }
  ASSERT_GT(images, 0);
  const double agreement = static_cast<double>(agree) / static_cast<double>(images);
  std::printf("int8 runtime vs fake-quantized torch: top-1 agreement %lld/%lld = %.4f, int8 accuracy %.4f, "
              "max |output difference| %.6g (max |output| %.6g)\n",
              static_cast<long long>(agree), static_cast<long long>(images), agreement,
              static_cast<double>(int8_correct) / static_cast<double>(images), max_logit_diff, max_logit);
  EXPECT_GE(agreement, 0.975);  // at most 2 of 80 images may flip on the integer rounding
}

}  // namespace
}  // namespace gramlite::train
