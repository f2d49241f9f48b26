// The sparse backend (src/runtime/sparse) against the reference backend, through sessions
// restricted to {"sparse", "reference"} against {"reference"}: float32 1x1 convolutions and Linear
// layers over unstructured sparse weights, int8 ones over 1x4 block-sparse weights, on every code
// path this CPU has (AVX-512 VNNI, AVX2, NEON, scalar; lowered with set_max_code_path), over
// channel counts that are not multiples of 4, 8 or 16, 1x1 to 9x7 pixels (tiles of 32 and their
// tails), batches 1-3, sparsities 0.5-1.0 (below the break-even the backend must decline), fused
// activations, zero points -128..127 and per-channel scales. Tolerances as
// xnnpack_vs_reference_test.cc: float32 within 1e-4 relative plus 2e-6 per summed term, int8
// within one output step. Last, a zoo MobileNet v1 with 90 % of each 1x1 weight zeroed runs its
// pointwise layers on the sparse backend by default and matches the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gramlite/compress/calibration.h"
#include "gramlite/compress/pruning.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "graph_builder.h"
#include "int8_test_util.h"
#include "runtime/sparse/sparse.h"
#include "runtime/sparse/sparse_common.h"
#include "test_util.h"

namespace gramlite::runtime {
namespace {

using sparse::CodePath;
using testing::add_int8_value;
using testing::add_typed_constant;
using testing::all_close;
using testing::make_test_node;
using testing::per_tensor;
using testing::random_floats;

// The code paths to test here: the CPU's best and every lower one it can run.
std::vector<CodePath> paths_to_test(bool int8) {
  sparse::set_max_code_path(CodePath::kAvx512Vnni);
  const CodePath best = int8 ? sparse::best_s8_path() : sparse::best_f32_path();
  std::vector<CodePath> paths = {best};
  if (best == CodePath::kAvx512Vnni) paths.push_back(CodePath::kAvx2);
  if (best != CodePath::kScalar) paths.push_back(CodePath::kScalar);
  return paths;
}

// Restores the CPU's own paths when a test ends.
struct PathGuard {
  ~PathGuard() { sparse::set_max_code_path(CodePath::kAvx512Vnni); }
};

struct SessionRun {
  std::vector<std::vector<float>> outputs;
  std::vector<NodePlan> plans;
};

SessionRun run_with(const std::shared_ptr<ir::Graph>& graph, std::vector<std::string> backends, int64_t batch,
             const std::vector<std::vector<float>>& inputs, ThreadPool* pool, bool optimize = false) {
  SessionRun run;
  SessionOptions options;
  options.pool = pool;
  options.optimize = optimize;
  options.backends = std::move(backends);
  auto session = Session::create(graph, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return run;
  const Status status = (*session)->reshape(batch);
  EXPECT_TRUE(status.ok()) << status.message();
  if (!status.ok()) return run;
  auto out = (*session)->run(inputs);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (out.ok()) run.outputs = std::move(out).value();
  run.plans = (*session)->node_plans();
  return run;
}

const NodePlan* plan_of(const SessionRun& run, const std::string& node) {
  for (const NodePlan& plan : run.plans) {
    if (plan.node == node) return &plan;
  }
  return nullptr;
}

// Zeros round(fraction * size) of `values`, chosen at random.
template <typename T>
void zero_at_random(std::vector<T>& values, double fraction, std::mt19937& rng) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  const auto zeros = static_cast<size_t>(std::lround(fraction * static_cast<double>(values.size())));
  for (size_t i = 0; i < zeros; ++i) values[order[i]] = T{0};
}

struct LayerCase {
  bool linear = false;
  int64_t batch = 1, in = 8, out = 8, h = 1, w = 1;
  double sparsity = 0.9;
  ir::Activation activation = ir::Activation::kNone;
  bool bias = true;
};

std::string describe(const LayerCase& c) {
  return std::string(c.linear ? "linear" : "conv") + " n" + std::to_string(c.batch) + " in" + std::to_string(c.in) +
         " out" + std::to_string(c.out) + " " + std::to_string(c.h) + "x" + std::to_string(c.w) + " s" +
         std::to_string(c.sparsity) + " act" + std::to_string(static_cast<int>(c.activation));
}

ir::Shape input_shape(const LayerCase& c, bool dynamic) {
  const int64_t n = dynamic ? ir::kDynamicDim : c.batch;
  return c.linear ? ir::Shape{n, c.in} : ir::Shape{n, c.in, c.h, c.w};
}
ir::Shape weight_shape(const LayerCase& c) { return c.linear ? ir::Shape{c.out, c.in} : ir::Shape{c.out, c.in, 1, 1}; }
ir::OpKind op_kind(const LayerCase& c) { return c.linear ? ir::OpKind::kLinear : ir::OpKind::kConv2d; }

// A random sweep of layer cases: tails of vectors, tiles and blocks, all sparsities.
std::vector<LayerCase> layer_cases(uint32_t seed, int count) {
  std::mt19937 rng(seed);
  const int64_t channels[] = {1, 3, 4, 8, 13, 16, 24, 37, 64};
  const int64_t sides[][2] = {{1, 1}, {2, 3}, {4, 8}, {7, 9}, {6, 6}, {9, 7}};
  const double sparsities[] = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};
  const ir::Activation activations[] = {ir::Activation::kNone, ir::Activation::kRelu, ir::Activation::kRelu6};
  const auto pick = [&rng](const auto& list) { return list[rng() % std::size(list)]; };
  std::vector<LayerCase> cases;
  for (int i = 0; i < count; ++i) {
    LayerCase c;
    c.linear = i % 5 == 4;
    c.batch = 1 + static_cast<int64_t>(rng() % 3);
    c.in = pick(channels);
    c.out = pick(channels);
    if (!c.linear) {
      const auto& side = sides[rng() % std::size(sides)];
      c.h = side[0];
      c.w = side[1];
    }
    c.sparsity = pick(sparsities);
    c.activation = pick(activations);
    c.bias = rng() % 4 != 0;
    cases.push_back(c);
  }
  return cases;
}

// --- float32 -----------------------------------------------------------------------------------

TEST(SparseKernels, Float32MatchesTheReferenceAndDeclinesDenseLayers) {
  PathGuard guard;
  ThreadPool two(2);
  for (const CodePath path : paths_to_test(false)) {
    sparse::set_max_code_path(path);
    int ran_sparse = 0, declined = 0;
    std::mt19937 rng(5);
    for (const LayerCase& c : layer_cases(17, 70)) {
      SCOPED_TRACE(std::string(sparse::code_path_name(path)) + " " + describe(c));
      auto g = std::make_shared<ir::Graph>();
      g->inputs = {g->add_value("x", input_shape(c, true))};
      std::vector<float> weights = random_floats(static_cast<size_t>(c.in * c.out), static_cast<uint32_t>(rng()));
      zero_at_random(weights, c.sparsity, rng);
      std::vector<ir::TensorId> inputs = {g->inputs[0], g->add_float_constant("w", weight_shape(c), weights)};
      if (c.bias) inputs.push_back(g->add_float_constant("b", {c.out}, random_floats(static_cast<size_t>(c.out), 3)));
      const ir::TensorId y = g->add_value("y");
      ir::Node node = make_test_node("op", op_kind(c), inputs, y);
      node.fused_activation = c.activation;
      g->add_node(std::move(node));
      g->outputs = {y};
      const auto x = random_floats(static_cast<size_t>(ir::element_count(input_shape(c, false))), static_cast<uint32_t>(rng()));
      ThreadPool* pool = rng() % 2 ? &two : nullptr;
      const SessionRun fast = run_with(g, {"sparse", "reference"}, c.batch, {x}, pool);
      const SessionRun oracle = run_with(g, {"reference"}, c.batch, {x}, nullptr);
      const NodePlan* plan = plan_of(fast, "op");
      ASSERT_NE(plan, nullptr);
      const double sparsity = sparse::zero_fraction(weights.data(), weights.size());
      if (sparsity >= sparse::kF32MinSparsity) {
        EXPECT_EQ(plan->backend, "sparse") << plan->kernel;
        EXPECT_NE(plan->kernel.find("_f32_sparse_"), std::string::npos) << plan->kernel;
        ++ran_sparse;
      } else {
        EXPECT_EQ(plan->backend, "reference") << "a layer " << sparsity << " sparse must run dense";
        ++declined;
      }
      ASSERT_EQ(fast.outputs.size(), 1u);
      ASSERT_EQ(oracle.outputs.size(), 1u);
      EXPECT_TRUE(all_close(fast.outputs[0], oracle.outputs[0], 2e-6 * static_cast<double>(c.in) + 1e-6, 1e-4));
    }
    EXPECT_GT(ran_sparse, 30) << sparse::code_path_name(path);
    EXPECT_GT(declined, 5) << sparse::code_path_name(path);
  }
}

// --- int8 --------------------------------------------------------------------------------------

// Int8 weights [out, in] with `fraction` of the 1x4 blocks zero and, in kept blocks, some zero
// weights too (a block is kept when any of its 4 weights is non-zero).
std::vector<int8_t> block_sparse_int8(int64_t out, int64_t in, double fraction, std::mt19937& rng) {
  std::vector<int8_t> w = testing::random_int8(static_cast<size_t>(out * in), rng, -127, 127);
  for (int8_t& v : w) {
    if (rng() % 5 == 0) v = 0;
  }
  const int64_t blocks_per_row = (in + 3) / 4;
  std::vector<uint8_t> zero_block(static_cast<size_t>(out * blocks_per_row), 1);
  zero_at_random(zero_block, 1.0 - fraction, rng);  // 1 - fraction of them become "kept" (0)
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t b = 0; b < blocks_per_row; ++b) {
      if (zero_block[static_cast<size_t>(o * blocks_per_row + b)] == 0) continue;
      for (int64_t c = 4 * b; c < std::min(in, 4 * b + 4); ++c) w[static_cast<size_t>(o * in + c)] = 0;
    }
  }
  return w;
}

TEST(SparseKernels, Int8WithinOneStepOfTheReferenceAndDeclinesDenseLayers) {
  PathGuard guard;
  ThreadPool two(2);
  for (const CodePath path : paths_to_test(true)) {
    sparse::set_max_code_path(path);
    int ran_sparse = 0, declined = 0;
    int64_t off_by_one = 0, total = 0;
    std::mt19937 rng(9);
    const std::vector<LayerCase> cases = layer_cases(23, 70);
    for (size_t i = 0; i < cases.size(); ++i) {
      const LayerCase& c = cases[i];
      SCOPED_TRACE(std::string(sparse::code_path_name(path)) + " " + describe(c));
      // Zero points from -128 to 127, the extremes included.
      ir::AffineQuant xq = testing::random_quant(rng, 0.004f, 0.02f);
      if (i % 7 == 1) xq.zero_point = -128;
      if (i % 7 == 2) xq.zero_point = 127;
      auto g = std::make_shared<ir::Graph>();
      g->inputs = {g->add_value("x", input_shape(c, true))};
      const ir::TensorId x8 = add_int8_value(*g, "x8", input_shape(c, true), xq);
      g->add_node(make_test_node("quantize", ir::OpKind::kQuantize, {g->inputs[0]}, x8));
      std::uniform_real_distribution<float> scale(0.002f, 0.02f);
      ir::QuantParams wq;
      for (int64_t o = 0; o < c.out; ++o) wq.scales.push_back(scale(rng));
      wq.zero_points.assign(static_cast<size_t>(c.out), 0);
      wq.axis = 0;
      const std::vector<int8_t> w = block_sparse_int8(c.out, c.in, c.sparsity, rng);
      std::vector<ir::TensorId> inputs = {x8, add_typed_constant(*g, "w", weight_shape(c), ir::DType::kInt8, w, wq)};
      if (c.bias) {
        ir::QuantParams bq;
        bq.axis = 0;
        std::vector<int32_t> b;
        std::uniform_int_distribution<int32_t> values(-3000, 3000);
        for (int64_t o = 0; o < c.out; ++o) {
          bq.scales.push_back(xq.scale * wq.scales[static_cast<size_t>(o)]);
          bq.zero_points.push_back(0);
          b.push_back(values(rng));
        }
        inputs.push_back(add_typed_constant(*g, "b", {c.out}, ir::DType::kInt32, b, bq));
      }
      // Output range about the accumulated values' size, zero point anywhere.
      const auto span = static_cast<float>(std::sqrt(static_cast<double>(c.in) * (1.0 - c.sparsity) + 1.0) * 0.4);
      ir::AffineQuant yq = ir::choose_activation_quant(-span * scale(rng) * 150, span * scale(rng) * 150);
      yq.zero_point = static_cast<int32_t>(rng() % 256) - 128;
      const ir::TensorId y8 = add_int8_value(*g, "y8", {}, yq);
      ir::Node node = make_test_node("op", op_kind(c), inputs, y8);
      node.fused_activation = c.activation;
      g->add_node(std::move(node));
      const ir::TensorId y = g->add_value("y");
      g->add_node(make_test_node("dequantize", ir::OpKind::kDequantize, {y8}, y));
      g->outputs = {y};

      const auto x = random_floats(static_cast<size_t>(ir::element_count(input_shape(c, false))), static_cast<uint32_t>(rng()),
                                   -1.5f, 1.5f);
      ThreadPool* pool = rng() % 2 ? &two : nullptr;
      const SessionRun fast = run_with(g, {"sparse", "reference"}, c.batch, {x}, pool);
      const SessionRun oracle = run_with(g, {"reference"}, c.batch, {x}, nullptr);
      const NodePlan* plan = plan_of(fast, "op");
      ASSERT_NE(plan, nullptr);
      const double block_sparsity = sparse::zero_block_fraction(w.data(), c.out, c.in);
      if (block_sparsity >= sparse::kS8MinBlockSparsity) {
        EXPECT_EQ(plan->backend, "sparse") << plan->kernel;
        EXPECT_NE(plan->kernel.find("_s8_sparse_1x4_"), std::string::npos) << plan->kernel;
        ++ran_sparse;
      } else {
        EXPECT_EQ(plan->backend, "reference") << "a layer with " << block_sparsity << " zero blocks must run dense";
        ++declined;
      }
      ASSERT_EQ(fast.outputs.size(), 1u);
      ASSERT_EQ(oracle.outputs.size(), 1u);
      const std::vector<float>& a = fast.outputs[0];
      const std::vector<float>& b = oracle.outputs[0];
      ASSERT_EQ(a.size(), b.size());
      for (size_t k = 0; k < a.size(); ++k) {
        const double steps = std::fabs(static_cast<double>(a[k]) - b[k]) / yq.scale;
        ASSERT_LE(steps, 1.001) << "element " << k << ": " << a[k] << " vs " << b[k];
        off_by_one += steps > 0.5;
        ++total;
      }
    }
    EXPECT_LT(off_by_one * 100, total) << off_by_one << " of " << total;
    EXPECT_GT(ran_sparse, 30) << sparse::code_path_name(path);
    EXPECT_GT(declined, 5) << sparse::code_path_name(path);
    std::printf("sparse int8 (%s): %lld of %lld outputs one step off the reference; %d layers sparse, %d declined\n",
                sparse::code_path_name(path), static_cast<long long>(off_by_one), static_cast<long long>(total),
                ran_sparse, declined);
  }
}

// --- a whole model -----------------------------------------------------------------------------

bool is_pointwise(const ir::Graph& g, const ir::Node& node) {
  if (node.kind != ir::OpKind::kConv2d) return false;
  const auto& a = node.attr<ir::Conv2dAttrs>();
  return a.kernel_h == 1 && a.kernel_w == 1 && a.groups == 1 && g.tensor(node.inputs[1]).shape.size() == 4;
}

// Zeros, in every 1x1 convolution, the `fraction` of weights of smallest magnitude; with `block`,
// the fraction of 1x4 blocks (one output channel, 4 consecutive input channels).
int prune_pointwise(ir::Graph& g, double fraction, bool block) {
  int pruned = 0;
  for (const ir::Node& node : g.nodes) {
    if (!is_pointwise(g, node)) continue;
    compress::prune_weight_once(g.tensor(node.inputs[1]), fraction,
                                block ? compress::PruningBlock{1, 4} : compress::PruningBlock{});
    ++pruned;
  }
  return pruned;
}

double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double largest = 0, worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, std::fabs(static_cast<double>(b[i])));
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return largest > 0 ? worst / largest : worst;
}

int sparse_layers(const SessionRun& run) {
  int count = 0;
  for (const NodePlan& plan : run.plans) count += plan.backend == "sparse";
  return count;
}

constexpr int kSize = 48;
constexpr int64_t kBatch = 2;

ir::Graph sparse_mobilenet(bool block) {
  zoo::BuildOptions build;
  build.num_classes = 10;
  build.input_size = kSize;
  build.seed = 5;
  build.include_softmax = false;
  auto model = zoo::build("mobilenet_v1", build);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  // Keras MobileNet v1's 13 pointwise convolutions and its classifier, a 1x1 convolution too.
  EXPECT_EQ(prune_pointwise(*model, 0.9, block), 14);
  return std::move(model).value();
}

TEST(SparseKernels, NinetyPercentSparseMobileNetV1RunsSparseAndMatchesTheReference) {
  const ir::Graph model = sparse_mobilenet(/*block=*/false);
  auto graph = std::make_shared<ir::Graph>(model);
  const auto images = random_floats(static_cast<size_t>(kBatch * 3 * kSize * kSize), 77);
  const SessionRun fast = run_with(graph, builtin_backend_names(), kBatch, {images}, nullptr, /*optimize=*/true);
  const SessionRun oracle = run_with(graph, {"reference"}, kBatch, {images}, nullptr, /*optimize=*/true);
  EXPECT_EQ(sparse_layers(fast), 14);
  for (const NodePlan& plan : fast.plans) {
    if (plan.backend == "sparse") {
      EXPECT_NE(plan.kernel.find("conv2d_f32_sparse_1x1_90pct"), std::string::npos) << plan.kernel;
    }
  }
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(oracle.outputs.size(), 1u);
  const double difference = max_relative_difference(fast.outputs[0], oracle.outputs[0]);
  std::printf("90%%-sparse mobilenet_v1 float32: %d layers sparse, logits within %.2e of the largest\n",
              sparse_layers(fast), difference);
  EXPECT_LE(difference, 1e-3);
}

// The int8 twin of a MobileNet v1 pruned in 1x4 blocks: its pointwise layers run on the sparse
// backend, and its logits follow the reference's (held as zoo_fast_backends_test.cc holds the
// dense fast backends: one-step differences are amplified through the network).
TEST(SparseKernels, BlockSparseInt8MobileNetV1RunsSparseAndFollowsTheReference) {
  const ir::Graph model = sparse_mobilenet(/*block=*/true);
  auto prepared = compress::prepare_for_quantization(model);
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  compress::CalibrationSet set;
  set.image_shape = {3, kSize, kSize};
  set.batches.push_back(random_floats(static_cast<size_t>(4 * 3 * kSize * kSize), 31));
  auto ranges = compress::calibrate(*prepared, set, {});
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  auto int8 = compress::convert_to_int8(*prepared, *ranges, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  auto graph = std::make_shared<ir::Graph>(std::move(int8).value());
  const auto images = random_floats(static_cast<size_t>(kBatch * 3 * kSize * kSize), 78);
  const SessionRun fast = run_with(graph, builtin_backend_names(), kBatch, {images}, nullptr, /*optimize=*/true);
  const SessionRun oracle = run_with(graph, {"reference"}, kBatch, {images}, nullptr, /*optimize=*/true);
  EXPECT_EQ(sparse_layers(fast), 14);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(oracle.outputs.size(), 1u);
  const double difference = max_relative_difference(fast.outputs[0], oracle.outputs[0]);
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < fast.outputs[0].size(); ++i) {
    dot += static_cast<double>(fast.outputs[0][i]) * oracle.outputs[0][i];
    na += static_cast<double>(fast.outputs[0][i]) * fast.outputs[0][i];
    nb += static_cast<double>(oracle.outputs[0][i]) * oracle.outputs[0][i];
  }
  const double cosine = dot / std::sqrt(na * nb);
  std::printf("block-sparse mobilenet_v1 int8: %d layers sparse, logits within %.2e of the largest, cosine %.5f\n",
              sparse_layers(fast), difference, cosine);
  EXPECT_LE(difference, 0.25);
  EXPECT_GE(cosine, 0.95);
}

}  // namespace
}  // namespace gramlite::runtime
