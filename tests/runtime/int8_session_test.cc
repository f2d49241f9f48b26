// A small full-integer graph through Session::create / reshape / run with the default backends:
// the portable backend has no int8 kernels, so every int8 node falls back to the reference
// backend; the optimiser fuses the ReLU clamp into the int8 Conv2d but leaves HardSwish as its own
// lookup-table node; the outputs equal an unoptimised, reference-only session's and follow the
// float graph's.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "gramlite/base/thread_pool.h"
#include "gramlite/runtime/session.h"
#include "int8_test_util.h"

namespace gramlite::runtime::testing {
namespace {

using K = ir::OpKind;

// input (f32) -> Quantize -> Conv2d 3x3 (s8) -> Relu -> Conv2d depthwise -> HardSwish
//   -> GlobalAvgPool -> Flatten -> Linear -> Dequantize -> logits (f32)
// Activation params by tensor name: from a calibration run of the float twin (calibrated_params),
// or placeholders for that run.
using ParamsByName = std::map<std::string, ir::AffineQuant>;

std::shared_ptr<ir::Graph> int8_graph(const ParamsByName& params) {
  std::mt19937 rng(5);
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId image = g->add_value("image", {ir::kDynamicDim, 3, 8, 8});
  g->inputs = {image};
  auto quant_of = [&](const std::string& name) {
    const auto it = params.find(name);
    return it != params.end() ? it->second : ir::AffineQuant{0.05f, 0};
  };
  auto value = [&](const std::string& name) { return add_int8_value(*g, name, {}, quant_of(name)); };
  auto weight = [&](const std::string& name, const ir::Shape& shape, float scale) {
    ir::QuantParams q;
    for (int64_t c = 0; c < shape[0]; ++c) {
      q.scales.push_back(scale * (1.0f + 0.1f * static_cast<float>(c)));
      q.zero_points.push_back(0);
    }
    q.axis = 0;
    return add_typed_constant(*g, name, shape, ir::DType::kInt8,
                              random_int8(static_cast<size_t>(ir::element_count(shape)), rng, -127, 127), q);
  };
  // Bias values are fixed reals, quantized with input scale x weight scale.
  auto bias = [&](const std::string& name, ir::TensorId w, ir::AffineQuant x) {
    const ir::QuantParams& wq = g->tensor(w).quant;
    ir::QuantParams q;
    for (float s : wq.scales) {
      q.scales.push_back(x.scale * s);
      q.zero_points.push_back(0);
    }
    q.axis = 0;
    std::vector<int32_t> values(wq.scales.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const double real = 0.05 * static_cast<double>(i % 3) - 0.04;
      values[i] = static_cast<int32_t>(std::lround(real / q.scales[i]));
    }
    return add_typed_constant(*g, name, {static_cast<int64_t>(values.size())}, ir::DType::kInt32, values, q);
  };
  const ir::AffineQuant xq{2.0f / 255.0f, 0};  // inputs in [-1, 1]
  const ir::TensorId q = add_int8_value(*g, "q", {}, xq);
  g->add_node(make_test_node("quantize", K::kQuantize, {image}, q));
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  const ir::TensorId w1 = weight("conv1.weight", {8, 3, 3, 3}, 0.01f);
  const ir::TensorId c1 = value("c1");
  g->add_node(make_test_node("conv1", K::kConv2d, {q, w1, bias("conv1.bias", w1, xq)}, c1, conv));
  const ir::TensorId r1 = add_int8_value(*g, "r1", {}, quant_of("c1"));  // fusing the clamp changes nothing
  g->add_node(make_test_node("relu1", K::kRelu, {c1}, r1));
  ir::Conv2dAttrs dw = conv;
  dw.groups = 8;
  dw.stride_h = dw.stride_w = 2;
  dw.padding = {0, 0, 1, 1};
  const ir::TensorId w2 = weight("dw.weight", {8, 1, 3, 3}, 0.02f);
  const ir::TensorId d1 = value("d1");
  g->add_node(make_test_node("dw", K::kConv2d, {r1, w2, bias("dw.bias", w2, quant_of("c1"))}, d1, dw));
  const ir::TensorId h = value("h");
  g->add_node(make_test_node("hswish", K::kHardSwish, {d1}, h));
  const ir::TensorId p = value("p");
  g->add_node(make_test_node("pool", K::kGlobalAvgPool, {h}, p));
  const ir::TensorId f = add_int8_value(*g, "f", {}, quant_of("p"));  // a view keeps its input's params
  g->add_node(make_test_node("flatten", K::kFlatten, {p}, f));
  const ir::TensorId w3 = weight("fc.weight", {5, 8}, 0.01f);
  const ir::TensorId l = value("l");
  g->add_node(make_test_node("fc", K::kLinear, {f, w3, bias("fc.bias", w3, quant_of("p"))}, l));
  const ir::TensorId logits = g->add_value("logits");
  g->add_node(make_test_node("dequantize", K::kDequantize, {l}, logits));
  g->outputs = {logits};
  return g;
}

// The float twin of an int8 graph, runnable: int8 constants dequantized, Quantize and Dequantize
// replaced by identities (Dropout).
std::shared_ptr<ir::Graph> runnable_float_twin(const ir::Graph& graph) {
  auto twin = std::make_shared<ir::Graph>(float_twin(graph));
  for (ir::Node& node : twin->nodes) {
    if (node.kind == K::kQuantize || node.kind == K::kDequantize) {
      node.kind = K::kDropout;
      node.attrs = ir::default_attributes(K::kDropout);
    }
  }
  return twin;
}

// Min / max of every activation of the float twin over `image` (a tiny calibration), as params.
ParamsByName calibrated_params(const std::vector<float>& image) {
  const std::shared_ptr<ir::Graph> twin = runnable_float_twin(*int8_graph({}));
  ParamsByName params;
  SessionOptions options;
  options.optimize = false;
  options.node_observer = [&](const NodeOutput& out) {
    const auto* data = static_cast<const float*>(out.data);
    const size_t count = element_count_of(*out.shape);
    float lo = 0.0f, hi = 0.0f;
    for (size_t i = 0; i < count; ++i) {
      lo = std::min(lo, data[i]);
      hi = std::max(hi, data[i]);
    }
    params[twin->tensor(out.tensor).name] = ir::choose_activation_quant(lo, hi);
  };
  auto session = Session::create(twin, options);
  EXPECT_TRUE(session.ok());
  EXPECT_TRUE((*session)->reshape(3).ok());
  EXPECT_TRUE((*session)->run({image}).ok());
  return params;
}

TEST(Int8Session, RunsOnThePlainBackendsThroughTheReferenceKernels) {
  const std::vector<float> image = random_floats(3 * 3 * 8 * 8, 9, -1.0f, 1.0f);
  const std::shared_ptr<ir::Graph> graph = int8_graph(calibrated_params(image));
  SessionOptions plain_backends;
  plain_backends.backends = {"portable", "reference"};
  auto session = Session::create(graph, plain_backends);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE((*session)->reshape(3).ok());
  for (const NodePlan& plan : (*session)->node_plans()) {
    EXPECT_EQ(plan.backend, "reference") << plan.node;
    const bool int8_kernel = plan.kernel.find("s8") != std::string::npos || plan.kernel.find("view") != std::string::npos;
    EXPECT_TRUE(int8_kernel) << plan.node << ": " << plan.kernel;
  }
  // Relu fused into conv1 (a clamp); HardSwish kept as its own table node.
  bool relu_fused = false, hswish_kept = false;
  for (const ir::Node& node : (*session)->graph().nodes) {
    relu_fused = relu_fused || (node.name == "conv1" && node.fused_activation == ir::Activation::kRelu);
    hswish_kept = hswish_kept || node.kind == K::kHardSwish;
  }
  EXPECT_TRUE(relu_fused);
  EXPECT_TRUE(hswish_kept);

  auto logits = (*session)->run({image});
  ASSERT_TRUE(logits.ok()) << logits.status().message();

  SessionOptions plain;
  plain.optimize = false;
  plain.backends = {"reference"};
  auto reference = Session::create(graph, plain);
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE((*reference)->reshape(3).ok());
  auto expected = (*reference)->run({image});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ((*logits)[0], (*expected)[0]);  // bit-exact: integer arithmetic either way

  // Threads split the work by index only: the same bytes with a pool of three.
  ThreadPool pool(3);
  SessionOptions threaded;
  threaded.pool = &pool;
  threaded.backends = {"portable", "reference"};
  auto with_pool = Session::create(graph, threaded);
  ASSERT_TRUE(with_pool.ok());
  ASSERT_TRUE((*with_pool)->reshape(3).ok());
  auto pooled = (*with_pool)->run({image});
  ASSERT_TRUE(pooled.ok());
  EXPECT_EQ((*pooled)[0], (*logits)[0]);

  // Not a constant: the logits vary across images and outputs.
  const std::vector<float>& out = (*logits)[0];
  ASSERT_EQ(out.size(), 15u);
  float lo = out[0], hi = out[0];
  for (float v : out) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GT(hi - lo, 0.1f);

  // The float twin of the graph (int8 constants dequantized, float activations) gives close logits.
  auto float_session = Session::create(runnable_float_twin(*graph), plain);
  ASSERT_TRUE(float_session.ok()) << float_session.status().message();
  ASSERT_TRUE((*float_session)->reshape(3).ok());
  // int8 activations take a byte each in the arena: a quarter of the float twin's, plus the
  // float input's quantize and the logits.
  EXPECT_LT(2 * (*reference)->arena_bytes(), (*float_session)->arena_bytes());
  auto real = (*float_session)->run({image});
  ASSERT_TRUE(real.ok());
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    dot += static_cast<double>(out[i]) * (*real)[0][i];
    na += static_cast<double>(out[i]) * out[i];
    nb += static_cast<double>((*real)[0][i]) * (*real)[0][i];
  }
  EXPECT_GT(dot / std::sqrt(na * nb), 0.98);
}

// The session returns float32: an int8 graph output (no Dequantize at the end) is refused by
// name, not copied out at four bytes an element.
TEST(Int8Session, RefusesAnInt8GraphOutput) {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4});
  g->inputs = {x};
  const ir::TensorId q = add_int8_value(*g, "q", {}, {0.1f, 0});
  g->add_node(make_test_node("quantize", K::kQuantize, {x}, q));
  g->outputs = {q};
  auto session = Session::create(g);
  ASSERT_TRUE(session.ok());
  const Status status = (*session)->reshape(1);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_NE(status.message().find("'q'"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace gramlite::runtime::testing
