// Session: a hand-built graph covering every op runs at several batch sizes and thread counts,
// optimised or not; errors for wrong input counts and unsupported dtypes name what is wrong.
#include "gramlite/runtime/session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"

namespace gramlite::runtime {
namespace {

using testing::all_close;
using testing::random_floats;

ir::Node make_node(std::string name, ir::OpKind kind, std::vector<ir::TensorId> inputs, ir::TensorId output,
                   ir::Attributes attrs = {}) {
  ir::Node node;
  node.name = std::move(name);
  node.kind = kind;
  node.inputs = std::move(inputs);
  node.outputs = {output};
  node.attrs = attrs.index() == 0 ? ir::default_attributes(kind) : std::move(attrs);
  return node;
}

ir::Conv2dAttrs conv_attrs(int32_t k, int32_t stride, int32_t pad, int32_t groups) {
  ir::Conv2dAttrs a;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.padding = {pad, pad, pad, pad};
  a.groups = groups;
  return a;
}

ir::Pool2dAttrs pool_attrs(int32_t k, int32_t stride) {
  ir::Pool2dAttrs a;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  return a;
}

// A small network touching every op kind: conv + batch-norm + relu, a depthwise / pointwise
// residual block with a squeeze-excitation style Mul, pools, concat, pad, flatten, dropout,
// linear, softmax. Two outputs: the probabilities and the logits (which softmax also reads).
std::shared_ptr<ir::Graph> build_test_graph(uint32_t seed = 1) {
  auto g = std::make_shared<ir::Graph>();
  auto constant = [&](const std::string& name, ir::Shape shape, float low = -0.5f, float high = 0.5f) {
    return g->add_float_constant(name, shape,
                                 random_floats(static_cast<size_t>(ir::element_count(shape)), seed++, low, high));
  };
  using K = ir::OpKind;
  const ir::TensorId x = g->add_value("image", {ir::kDynamicDim, 3, 9, 9});
  g->inputs = {x};
  const ir::TensorId c1 = g->add_value("c1");
  g->add_node(make_node("conv1", K::kConv2d, {x, constant("conv1.weight", {8, 3, 3, 3}), constant("conv1.bias", {8})},
                        c1, conv_attrs(3, 1, 1, 1)));
  const ir::TensorId bn = g->add_value("bn1");
  g->add_node(make_node("bn1", K::kBatchNorm,
                        {c1, constant("bn1.weight", {8}, 0.5f, 1.5f), constant("bn1.bias", {8}),
                         constant("bn1.running_mean", {8}), constant("bn1.running_var", {8}, 0.5f, 2.0f)},
                        bn));
  const ir::TensorId r1 = g->add_value("r1");
  g->add_node(make_node("relu1", K::kRelu, {bn}, r1));
  const ir::TensorId dw = g->add_value("dw");
  g->add_node(make_node("dw", K::kConv2d, {r1, constant("dw.weight", {8, 1, 3, 3})}, dw, conv_attrs(3, 1, 1, 8)));
  const ir::TensorId hs = g->add_value("hs");
  g->add_node(make_node("hswish", K::kHardSwish, {dw}, hs));
  const ir::TensorId pw = g->add_value("pw");
  g->add_node(make_node("pw", K::kConv2d, {hs, constant("pw.weight", {8, 8, 1, 1}), constant("pw.bias", {8})}, pw,
                        conv_attrs(1, 1, 0, 1)));
  const ir::TensorId sum = g->add_value("sum");
  g->add_node(make_node("residual", K::kAdd, {pw, r1}, sum));
  const ir::TensorId gap = g->add_value("gap");
  g->add_node(make_node("se_pool", K::kGlobalAvgPool, {sum}, gap));
  const ir::TensorId gate = g->add_value("gate");
  g->add_node(make_node("se_gate", K::kHardSigmoid, {gap}, gate));
  const ir::TensorId scaled = g->add_value("scaled");
  g->add_node(make_node("se_scale", K::kMul, {sum, gate}, scaled));
  const ir::TensorId r6 = g->add_value("r6");
  g->add_node(make_node("relu6", K::kRelu6, {scaled}, r6));
  const ir::TensorId mp = g->add_value("mp");
  ir::Pool2dAttrs max_attrs = pool_attrs(3, 2);
  max_attrs.ceil_mode = true;
  g->add_node(make_node("maxpool", K::kMaxPool, {r6}, mp, max_attrs));
  const ir::TensorId ap = g->add_value("ap");
  ir::Pool2dAttrs avg_attrs = pool_attrs(3, 2);
  avg_attrs.padding = {1, 1, 0, 0};  // asymmetric: 9x9 -> 4x4 like the max pool
  avg_attrs.count_include_pad = false;
  g->add_node(make_node("avgpool", K::kAvgPool, {r6}, ap, avg_attrs));
  const ir::TensorId cat = g->add_value("cat");
  g->add_node(make_node("concat", K::kConcat, {mp, ap}, cat, ir::ConcatAttrs{1}));
  const ir::TensorId sig = g->add_value("sig");
  g->add_node(make_node("sigmoid", K::kSigmoid, {cat}, sig));
  const ir::TensorId padded = g->add_value("padded");
  g->add_node(make_node("pad", K::kPad, {sig}, padded, ir::PadAttrs{{0, 0, 1, 0, 0, 0, 0, 1}, 0.25f}));
  const ir::TensorId flat = g->add_value("flat");
  g->add_node(make_node("flatten", K::kFlatten, {padded}, flat, ir::FlattenAttrs{1}));
  const ir::TensorId dropped = g->add_value("dropped");
  g->add_node(make_node("dropout", K::kDropout, {flat}, dropped, ir::DropoutAttrs{0.2f}));
  const ir::TensorId logits = g->add_value("logits");
  g->add_node(
      make_node("fc", K::kLinear, {dropped, constant("fc.weight", {5, 16 * 5 * 5}), constant("fc.bias", {5})}, logits));
  const ir::TensorId reshaped = g->add_value("reshaped");
  g->add_node(make_node("reshape", K::kReshape, {logits}, reshaped, ir::ReshapeAttrs{{0, 5, 1}}));
  const ir::TensorId probs = g->add_value("probs");
  g->add_node(make_node("softmax", K::kSoftmax, {reshaped}, probs, ir::SoftmaxAttrs{1}));
  g->outputs = {probs, logits};
  return g;
}

std::unique_ptr<Session> make_session(std::shared_ptr<const ir::Graph> graph, SessionOptions options = {}) {
  auto session = Session::create(std::move(graph), options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  return session.ok() ? std::move(session).value() : nullptr;
}

std::vector<std::vector<float>> run_or_die(Session& session, const std::vector<float>& input) {
  auto outputs = session.run(std::vector<std::vector<float>>{input});
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  return outputs.ok() ? std::move(outputs).value() : std::vector<std::vector<float>>{};
}

TEST(Session, PreparesShapesAndRuns) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  EXPECT_FALSE(session->is_prepared());
  ASSERT_TRUE(session->prepare(2).ok());
  EXPECT_EQ(session->batch(), 2);
  EXPECT_EQ(session->input_shapes(), (std::vector<ir::Shape>{{2, 3, 9, 9}}));
  EXPECT_EQ(session->output_shapes(), (std::vector<ir::Shape>{{2, 5, 1}, {2, 5}}));
  EXPECT_GT(session->arena_bytes(), 0u);
  EXPECT_GT(session->weight_bytes(), (8 * 27 + 5 * 400) * sizeof(float));
  const auto outputs = run_or_die(*session, random_floats(2 * 3 * 81, 3));
  ASSERT_EQ(outputs.size(), 2u);
  for (int n = 0; n < 2; ++n) {
    float total = 0.0f;
    for (int k = 0; k < 5; ++k) total += outputs[0][static_cast<size_t>(n * 5 + k)];
    EXPECT_NEAR(total, 1.0f, 1e-5f);
    // probs = softmax(logits)
    float m = -INFINITY, denominator = 0.0f;
    for (int k = 0; k < 5; ++k) m = std::max(m, outputs[1][static_cast<size_t>(n * 5 + k)]);
    for (int k = 0; k < 5; ++k) denominator += std::exp(outputs[1][static_cast<size_t>(n * 5 + k)] - m);
    for (int k = 0; k < 5; ++k) {
      EXPECT_NEAR(outputs[0][static_cast<size_t>(n * 5 + k)],
                  std::exp(outputs[1][static_cast<size_t>(n * 5 + k)] - m) / denominator, 1e-6f);
    }
  }
}

TEST(Session, BatchOfFiveEqualsFiveSingleRuns) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  const size_t image = 3 * 9 * 9;
  const std::vector<float> batch = random_floats(5 * image, 42, -2.0f, 2.0f);
  ASSERT_TRUE(session->prepare(5).ok());
  const auto batched = run_or_die(*session, batch);
  ASSERT_TRUE(session->prepare(1).ok());  // re-prepare with another batch
  EXPECT_EQ(session->input_shapes()[0], (ir::Shape{1, 3, 9, 9}));
  for (size_t n = 0; n < 5; ++n) {
    const std::vector<float> one(batch.begin() + static_cast<std::ptrdiff_t>(n * image),
                                 batch.begin() + static_cast<std::ptrdiff_t>((n + 1) * image));
    const auto single = run_or_die(*session, one);
    for (size_t o = 0; o < 2; ++o) {
      const std::vector<float> slice(batched[o].begin() + static_cast<std::ptrdiff_t>(n * 5),
                                     batched[o].begin() + static_cast<std::ptrdiff_t>((n + 1) * 5));
      EXPECT_TRUE(all_close(single[o], slice, 1e-6, 1e-6)) << "image " << n << " output " << o;
    }
  }
}

// Without oneDNN, the thread count does not change a bit. oneDNN cuts a convolution into one
// slice per thread and may pick another kernel for a slice's shape (docs/runtime.md, Threads), so
// with the default list the thread counts are held to float tolerance of each other.
TEST(Session, ThreadCountsGiveTheSameResult) {
  const auto graph = build_test_graph();
  const std::vector<float> input = random_floats(3 * 3 * 9 * 9, 5);
  for (const bool default_backends : {false, true}) {
    std::vector<std::vector<float>> first;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      SessionOptions options{&pool, true};
      if (!default_backends) {
        options.backends.clear();
        for (const std::string& name : builtin_backend_names()) {
          if (name != "onednn") options.backends.push_back(name);
        }
      }
      auto session = make_session(graph, options);
      ASSERT_NE(session, nullptr);
      EXPECT_EQ(session->thread_count(), threads);
      ASSERT_TRUE(session->prepare(3).ok());
      const auto outputs = run_or_die(*session, input);
      if (first.empty()) {
        first = outputs;
        continue;
      }
      for (size_t o = 0; o < outputs.size(); ++o) {
        if (default_backends) {
          EXPECT_TRUE(all_close(outputs[o], first[o], 1e-5, 1e-6)) << "threads " << threads;
        } else {
          EXPECT_EQ(outputs[o], first[o]) << "threads " << threads;
        }
      }
    }
  }
}

TEST(Session, OptimizedAndUnoptimizedAgree) {
  const auto graph = build_test_graph(9);
  const std::vector<float> input = random_floats(2 * 3 * 9 * 9, 6);
  auto plain = make_session(graph, {nullptr, false});
  auto optimized = make_session(graph, {nullptr, true});
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(optimized, nullptr);
  EXPECT_LT(optimized->graph().nodes.size(), plain->graph().nodes.size());
  EXPECT_EQ(plain->graph().nodes.size(), graph->nodes.size());  // the caller's graph is untouched
  ASSERT_TRUE(plain->prepare(2).ok());
  ASSERT_TRUE(optimized->prepare(2).ok());
  const auto a = run_or_die(*plain, input);
  const auto b = run_or_die(*optimized, input);
  for (size_t o = 0; o < a.size(); ++o) EXPECT_TRUE(all_close(b[o], a[o], 1e-5, 1e-5)) << "output " << o;
}

TEST(Session, RepeatedRunsAreIdentical) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(4).ok());
  const std::vector<float> input = random_floats(4 * 3 * 9 * 9, 8);
  const auto first = run_or_die(*session, input);
  const auto second = run_or_die(*session, input);
  EXPECT_EQ(first, second);
}

TEST(Session, ArenaReusesMemory) {
  auto session = make_session(build_test_graph(), {nullptr, false});
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(8).ok());
  EXPECT_LT(session->arena_bytes(), session->unshared_bytes());
}

TEST(Session, ChainArenaHoldsTwoActivationsAndViewsAreFree) {
  // x -> (relu -> sigmoid -> flatten -> reshape -> dropout) x 5: 10 computed tensors of 8 * 24 * 56
  // * 56 floats, 15 views; at most two computed tensors are live at once. On the NCHW backends, so
  // no layout conversion adds buffers (layout_test.cc covers those).
  auto g = std::make_shared<ir::Graph>();
  ir::TensorId t = g->add_value("x", {ir::kDynamicDim, 24, 56, 56});
  g->inputs = {t};
  for (int i = 0; i < 5; ++i) {
    const std::string n = std::to_string(i);
    const ir::TensorId r = g->add_value("relu" + n), s = g->add_value("sigmoid" + n), f = g->add_value("flat" + n),
                       v = g->add_value("view" + n), d = g->add_value("drop" + n);
    g->add_node(make_node("relu" + n, ir::OpKind::kRelu, {t}, r));
    g->add_node(make_node("sigmoid" + n, ir::OpKind::kSigmoid, {r}, s));
    g->add_node(make_node("flatten" + n, ir::OpKind::kFlatten, {s}, f, ir::FlattenAttrs{1}));
    g->add_node(make_node("reshape" + n, ir::OpKind::kReshape, {f}, v, ir::ReshapeAttrs{{0, 24, 56, 56}}));
    g->add_node(make_node("dropout" + n, ir::OpKind::kDropout, {v}, d, ir::DropoutAttrs{0.1f}));
    t = d;
  }
  g->outputs = {t};
  auto session = make_session(g, {nullptr, false, {"portable", "reference"}});
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(8).ok());
  const size_t tensor_bytes = 8 * 24 * 56 * 56 * sizeof(float);
  EXPECT_EQ(session->arena_bytes(), 2 * tensor_bytes);
  EXPECT_EQ(session->unshared_bytes(), 10 * tensor_bytes);
  const std::vector<float> input = random_floats(8 * 24 * 56 * 56, 3, -4.0f, 4.0f);
  const auto out = run_or_die(*session, input);
  ASSERT_EQ(out.size(), 1u);
  std::vector<float> expected = input;
  for (int i = 0; i < 5; ++i) {
    for (float& v : expected) v = 1.0f / (1.0f + std::exp(-std::max(v, 0.0f)));
  }
  EXPECT_TRUE(all_close(out[0], expected, 1e-6, 1e-6));
}

TEST(Session, RawPointerRun) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(1).ok());
  const std::vector<float> input = random_floats(3 * 9 * 9, 10);
  std::vector<float> probs(5), logits(5);
  ASSERT_TRUE(session->run({input.data()}, {probs.data(), logits.data()}).ok());
  const auto expected = run_or_die(*session, input);
  EXPECT_EQ(probs, expected[0]);
  EXPECT_EQ(logits, expected[1]);
}

TEST(Session, SmallGraphExactValues) {
  // y = relu(x) + c, z = x (a graph input that is also a graph output).
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4});
  const ir::TensorId r = g->add_value("r");
  const ir::TensorId y = g->add_value("y");
  g->inputs = {x};
  g->add_node(make_node("relu", ir::OpKind::kRelu, {x}, r));
  g->add_node(make_node("add", ir::OpKind::kAdd, {r, g->add_float_constant("c", {4}, {1, 2, 3, 4})}, y));
  g->outputs = {y, x};
  for (bool optimize : {false, true}) {
    auto session = make_session(g, {nullptr, optimize});
    ASSERT_NE(session, nullptr);
    ASSERT_TRUE(session->prepare(2).ok());
    const auto out = run_or_die(*session, {-1, 0.5f, -3, 2, 5, -6, 7, -8});
    EXPECT_EQ(out[0], (std::vector<float>{1, 2.5f, 3, 6, 6, 2, 10, 4}));
    EXPECT_EQ(out[1], (std::vector<float>{-1, 0.5f, -3, 2, 5, -6, 7, -8}));
  }
}

TEST(Session, WrongInputCountIsAnError) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  std::vector<float> input(3 * 9 * 9), out0(5), out1(5);
  EXPECT_FALSE(session->run({input.data()}, {out0.data(), out1.data()}).ok());  // not prepared
  ASSERT_TRUE(session->prepare(1).ok());
  const Status none = session->run({}, {out0.data(), out1.data()});
  EXPECT_EQ(none.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.message().find("inputs"), std::string::npos) << none.message();
  EXPECT_FALSE(session->run({input.data(), input.data()}, {out0.data(), out1.data()}).ok());
  EXPECT_FALSE(session->run({input.data()}, {out0.data()}).ok());
  EXPECT_FALSE(session->run(std::vector<std::vector<float>>{}).ok());
  const auto wrong_size = session->run(std::vector<std::vector<float>>{std::vector<float>(7)});
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_NE(wrong_size.status().message().find("image"), std::string::npos) << wrong_size.status().message();
}

TEST(Session, BadBatchIsAnError) {
  auto session = make_session(build_test_graph());
  ASSERT_NE(session, nullptr);
  EXPECT_FALSE(session->prepare(0).ok());
  EXPECT_FALSE(session->prepare(-3).ok());
  EXPECT_FALSE(session->is_prepared());
}

TEST(Session, UnsupportedDtypeNamesTheNode) {
  for (bool optimize : {false, true}) {
    auto g = std::make_shared<ir::Graph>();
    const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 2, 4, 4});
    g->inputs = {x};
    // int64 weights: valid IR, but no kernel reads them. (int8 weights with scales are dynamic-range
    // weights the session widens to float32, weight_decoding_test.cc; without scales the graph is
    // invalid, ir::validate_quantization.)
    std::vector<int64_t> weights(4 * 2, 1);
    ir::Tensor w;
    w.name = "qconv.weight";
    w.shape = {4, 2, 1, 1};
    w.dtype = ir::DType::kInt64;
    w.data = Buffer::copy_of(weights.data(), weights.size() * sizeof(int64_t));
    const ir::TensorId wid = g->add_tensor(std::move(w));
    const ir::TensorId y = g->add_value("y");
    g->add_node(make_node("qconv", ir::OpKind::kConv2d, {x, wid}, y, conv_attrs(1, 1, 0, 1)));
    g->outputs = {y};
    auto session = Session::create(g, {nullptr, optimize});
    Status status = session.ok() ? session.value()->prepare(1) : session.status();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
    EXPECT_NE(status.message().find("qconv"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find("int64"), std::string::npos) << status.message();
  }
}

TEST(Session, SparseWeightsAreUnsupported) {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 6});
  g->inputs = {x};
  const ir::TensorId w = g->add_float_constant("fc.weight", {3, 6}, std::vector<float>(18, 0.5f));
  g->tensor(w).sparsity.encoding = ir::SparsityEncoding::kBitmap;
  const ir::TensorId y = g->add_value("y");
  g->add_node(make_node("sparse_fc", ir::OpKind::kLinear, {x, w}, y));
  g->outputs = {y};
  auto session = Session::create(g, {nullptr, false});
  Status status = session.ok() ? session.value()->prepare(1) : session.status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
  EXPECT_NE(status.message().find("sparse_fc"), std::string::npos) << status.message();
}

TEST(Session, InvalidGraphIsRejectedAtCreate) {
  auto g = build_test_graph();
  g->outputs.clear();
  EXPECT_FALSE(Session::create(g).ok());
  EXPECT_FALSE(Session::create(nullptr).ok());
}

}  // namespace
}  // namespace gramlite::runtime

namespace gramlite::runtime {
namespace {

// ---- Edge cases found in review ----

TEST(Session, PrepareRejectsABatchThatContradictsAConcreteInputDim) {
  // The input declares batch 1; preparing for 3 must not silently plan for 1 image.
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {1, 4});
  const ir::TensorId y = g->add_value("y");
  g->inputs = {x};
  g->add_node(make_node("relu", ir::OpKind::kRelu, {x}, y));
  g->outputs = {y};
  auto session = make_session(g);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(1).ok());
  const Status status = session->prepare(3);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_NE(status.message().find("'x'"), std::string::npos) << status.message();
  EXPECT_FALSE(session->is_prepared());
}

TEST(Session, ConstantGraphOutputMustBeFloat32) {
  // A graph output that is an int8 constant: run() would copy 4 bytes per element out of a
  // 1-byte-per-element buffer. prepare must report it.
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4});
  const ir::TensorId y = g->add_value("y");
  g->inputs = {x};
  g->add_node(make_node("relu", ir::OpKind::kRelu, {x}, y));
  std::vector<int8_t> bytes(16, 3);
  const ir::TensorId c = g->add_constant("table", {16}, ir::DType::kInt8, Buffer::copy_of(bytes.data(), bytes.size()));
  g->outputs = {y, c};
  auto session = make_session(g);
  ASSERT_NE(session, nullptr);
  const Status status = session->prepare(1);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
  EXPECT_NE(status.message().find("table"), std::string::npos) << status.message();
}

TEST(Session, FoldingKeepsAWeightThatIsAlsoAGraphOutput) {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 2, 3, 3});
  g->inputs = {x};
  const std::vector<float> weight_values = random_floats(3 * 2, 11);
  const ir::TensorId w = g->add_float_constant("conv.weight", {3, 2, 1, 1}, weight_values);
  const ir::TensorId c = g->add_value("c");
  g->add_node(make_node("conv", ir::OpKind::kConv2d, {x, w}, c, conv_attrs(1, 1, 0, 1)));
  const ir::TensorId b = g->add_value("b");
  g->add_node(make_node("bn", ir::OpKind::kBatchNorm,
                        {c, g->add_float_constant("bn.weight", {3}, {2.0f, 0.5f, 3.0f}),
                         g->add_float_constant("bn.bias", {3}, {0.1f, 0.2f, 0.3f}),
                         g->add_float_constant("bn.mean", {3}, {0.0f, 1.0f, -1.0f}),
                         g->add_float_constant("bn.var", {3}, {1.0f, 4.0f, 0.25f})},
                        b));
  g->outputs = {b, w};
  const std::vector<float> input = random_floats(2 * 18, 12);
  std::vector<std::vector<float>> results[2];
  for (bool optimize : {false, true}) {
    auto session = make_session(g, {nullptr, optimize});
    ASSERT_NE(session, nullptr);
    ASSERT_TRUE(session->prepare(2).ok());
    results[optimize] = run_or_die(*session, input);
    ASSERT_EQ(results[optimize].size(), 2u);
    EXPECT_EQ(results[optimize][1], weight_values) << "optimize " << optimize;
  }
  EXPECT_TRUE(all_close(results[1][0], results[0][0], 1e-5, 1e-5));
}

TEST(Session, BatchNormAfterARank3LinearNormalisesDim1) {
  // Linear on [N, 4, 3] -> [N, 4, 4]; BatchNorm's channel axis is dim 1 (size 4), not the
  // Linear's output features (the last dim, also 4): folding it into the Linear would be wrong.
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4, 3});
  g->inputs = {x};
  const ir::TensorId l = g->add_value("l");
  g->add_node(make_node("fc", ir::OpKind::kLinear, {x, g->add_float_constant("fc.weight", {4, 3}, random_floats(12, 13))},
                        l));
  const ir::TensorId b = g->add_value("b");
  g->add_node(make_node("bn", ir::OpKind::kBatchNorm,
                        {l, g->add_float_constant("bn.weight", {4}, {2.0f, 0.5f, 3.0f, 1.0f}),
                         g->add_float_constant("bn.bias", {4}, {0.1f, 0.2f, 0.3f, 0.4f}),
                         g->add_float_constant("bn.mean", {4}, {0.0f, 1.0f, -1.0f, 0.5f}),
                         g->add_float_constant("bn.var", {4}, {1.0f, 4.0f, 0.25f, 2.0f})},
                        b));
  g->outputs = {b};
  const std::vector<float> input = random_floats(2 * 12, 14);
  auto plain = make_session(g, {nullptr, false});
  auto optimized = make_session(g, {nullptr, true});
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(optimized, nullptr);
  ASSERT_TRUE(plain->prepare(2).ok());
  ASSERT_TRUE(optimized->prepare(2).ok());
  EXPECT_TRUE(all_close(run_or_die(*optimized, input)[0], run_or_die(*plain, input)[0], 1e-5, 1e-5));
}

TEST(Session, ChannelMulWithBatchAndConcatOnOuterAndInnerAxes) {
  // [N, C, H, W] * [N, C, 1, 1] with N = 2, then concat with itself along axis 0 and axis -1.
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 3, 2, 2});
  const ir::TensorId s = g->add_value("s", {ir::kDynamicDim, 3, 1, 1});
  g->inputs = {x, s};
  const ir::TensorId m = g->add_value("m");
  g->add_node(make_node("mul", ir::OpKind::kMul, {x, s}, m));
  const ir::TensorId c0 = g->add_value("c0");
  g->add_node(make_node("cat_last", ir::OpKind::kConcat, {m, x}, c0, ir::ConcatAttrs{-1}));
  g->outputs = {m, c0};
  auto session = make_session(g);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(2).ok());
  const std::vector<float> xv = random_floats(24, 15), sv = random_floats(6, 16);
  auto out = session->run(std::vector<std::vector<float>>{xv, sv});
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::vector<float> expected_m(24), expected_c(48);
  for (int i = 0; i < 24; ++i) expected_m[i] = xv[i] * sv[i / 4];
  for (int row = 0; row < 12; ++row) {
    for (int j = 0; j < 2; ++j) {
      expected_c[row * 4 + j] = expected_m[row * 2 + j];
      expected_c[row * 4 + 2 + j] = xv[row * 2 + j];
    }
  }
  EXPECT_EQ((*out)[0], expected_m);
  EXPECT_EQ((*out)[1], expected_c);
}

TEST(Session, FoldingSharedAndGroupedConvWeightsMatchesTheUnoptimizedGraph) {
  // Two convs read one weight, each followed by its own batch norm (large epsilon on one); a
  // grouped conv is followed by a batch norm with a fused-away relu; a batch norm reads a graph
  // input directly and takes the relu itself.
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4, 5, 5});
  g->inputs = {x};
  uint32_t seed = 100;
  auto bn = [&](const std::string& name, ir::TensorId in, float epsilon) {
    const ir::TensorId out = g->add_value(name);
    g->add_node(make_node(name, ir::OpKind::kBatchNorm,
                          {in, g->add_float_constant(name + ".w", {4}, random_floats(4, seed++, 0.5f, 1.5f)),
                           g->add_float_constant(name + ".b", {4}, random_floats(4, seed++)),
                           g->add_float_constant(name + ".m", {4}, random_floats(4, seed++)),
                           g->add_float_constant(name + ".v", {4}, random_floats(4, seed++, 0.5f, 2.0f))},
                          out, ir::BatchNormAttrs{epsilon}));
    return out;
  };
  const ir::TensorId shared = g->add_float_constant("shared.weight", {4, 4, 3, 3}, random_floats(144, seed++));
  const ir::TensorId c1 = g->add_value("c1"), c2 = g->add_value("c2"), c3 = g->add_value("c3");
  g->add_node(make_node("conv1", ir::OpKind::kConv2d, {x, shared}, c1, conv_attrs(3, 1, 1, 1)));
  g->add_node(make_node("conv2", ir::OpKind::kConv2d, {x, shared}, c2, conv_attrs(3, 1, 1, 1)));
  g->add_node(make_node("grouped", ir::OpKind::kConv2d,
                        {x, g->add_float_constant("grouped.weight", {4, 2, 3, 3}, random_floats(72, seed++))}, c3,
                        conv_attrs(3, 1, 1, 2)));
  const ir::TensorId b1 = bn("bn1", c1, 1e-5f), b2 = bn("bn2", c2, 10.0f), b3 = bn("bn3", c3, 1e-3f);
  const ir::TensorId b4 = bn("bn4", x, 1e-5f);
  const ir::TensorId r3 = g->add_value("r3"), r4 = g->add_value("r4");
  g->add_node(make_node("relu3", ir::OpKind::kRelu, {b3}, r3));
  g->add_node(make_node("relu4", ir::OpKind::kRelu, {b4}, r4));
  const ir::TensorId s12 = g->add_value("s12"), s34 = g->add_value("s34"), y = g->add_value("y");
  g->add_node(make_node("add12", ir::OpKind::kAdd, {b1, b2}, s12));
  g->add_node(make_node("add34", ir::OpKind::kAdd, {r3, r4}, s34));
  g->add_node(make_node("add", ir::OpKind::kAdd, {s12, s34}, y));
  g->outputs = {y};
  const std::vector<float> input = random_floats(3 * 100, seed++);
  auto plain = make_session(g, {nullptr, false});
  auto optimized = make_session(g, {nullptr, true});
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(optimized, nullptr);
  for (const ir::Node& node : optimized->graph().nodes) {
    EXPECT_TRUE(node.kind != ir::OpKind::kBatchNorm || node.name == "bn4") << node.name;
  }
  ASSERT_TRUE(plain->prepare(3).ok());
  ASSERT_TRUE(optimized->prepare(3).ok());
  EXPECT_TRUE(all_close(run_or_die(*optimized, input)[0], run_or_die(*plain, input)[0], 1e-5, 1e-5));
}

TEST(Session, PadOnTheBatchDimSoftmaxOverBatchAndFlattenToRank) {
  // A graph with a concrete batch of 2: pad one image of 7s before the batch, softmax along dim 0
  // of a [3, 4] view (Flatten with axis = rank gives [12, 1], Reshape [3, -1] gives [3, 4]).
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {2, 2, 2});
  g->inputs = {x};
  const ir::TensorId p = g->add_value("p"), f = g->add_value("f"), r = g->add_value("r"), s = g->add_value("s");
  g->add_node(make_node("pad", ir::OpKind::kPad, {x}, p, ir::PadAttrs{{1, 0, 0, 0, 0, 0}, 7.0f}));
  g->add_node(make_node("flatten", ir::OpKind::kFlatten, {p}, f, ir::FlattenAttrs{3}));
  g->add_node(make_node("reshape", ir::OpKind::kReshape, {f}, r, ir::ReshapeAttrs{{3, -1}}));
  g->add_node(make_node("softmax", ir::OpKind::kSoftmax, {r}, s, ir::SoftmaxAttrs{0}));
  g->outputs = {p, f, s};
  auto session = make_session(g);
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->prepare(2).ok());
  EXPECT_EQ(session->output_shapes(), (std::vector<ir::Shape>{{3, 2, 2}, {12, 1}, {3, 4}}));
  const std::vector<float> input = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto out = run_or_die(*session, input);
  ASSERT_EQ(out.size(), 3u);
  const std::vector<float> padded = {7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(out[0], padded);
  EXPECT_EQ(out[1], padded);
  for (int col = 0; col < 4; ++col) {
    float total = 0.0f;
    for (int row = 0; row < 3; ++row) total += std::exp(padded[row * 4 + col]);
    for (int row = 0; row < 3; ++row) {
      EXPECT_NEAR(out[2][row * 4 + col], std::exp(padded[row * 4 + col]) / total, 1e-6) << row << "," << col;
    }
  }
}

}  // namespace
}  // namespace gramlite::runtime
