// Backend selection: the first backend that accepts a node wins, refusals fall back to the
// reference backend, the choice is recorded per node, unknown names are errors; reshape keeps the
// kernel objects; profiling times every node.
#include "gramlite/runtime/backend.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "gramlite/runtime/session.h"
#include "test_util.h"

namespace gramlite::runtime {
namespace {

using testing::add_random_constant;
using testing::make_test_node;
using testing::random_floats;

// conv -> relu -> global pool -> flatten -> linear.
std::shared_ptr<ir::Graph> small_net() {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 3, 8, 8});
  g->inputs = {x};
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  const ir::TensorId w = add_random_constant(*g, "conv.weight", {8, 3, 3, 3}, 1);
  const ir::TensorId b = add_random_constant(*g, "conv.bias", {8}, 2);
  const ir::TensorId c = g->add_value("c"), r = g->add_value("r"), p = g->add_value("p"), f = g->add_value("f");
  const ir::TensorId fw = add_random_constant(*g, "fc.weight", {2, 8}, 3);
  const ir::TensorId y = g->add_value("y");
  g->add_node(make_test_node("conv", ir::OpKind::kConv2d, {x, w, b}, c, conv));
  g->add_node(make_test_node("relu", ir::OpKind::kRelu, {c}, r));
  g->add_node(make_test_node("pool", ir::OpKind::kGlobalAvgPool, {r}, p));
  g->add_node(make_test_node("flatten", ir::OpKind::kFlatten, {p}, f));
  g->add_node(make_test_node("fc", ir::OpKind::kLinear, {f, fw}, y));
  g->outputs = {y};
  return g;
}

// Accepts only the op kinds it is given, with the reference kernels, under its own name; counts
// the kernels it created.
class PickyBackend final : public Backend {
 public:
  explicit PickyBackend(std::set<ir::OpKind> accepted) : accepted_(std::move(accepted)) {}
  const char* name() const override { return "picky"; }
  Result<std::unique_ptr<Kernel>> create_kernel(const KernelContext& context) const override {
    if (accepted_.count(context.node.kind) == 0) return unsupported("picky refuses ", context.node.name);
    ++created;
    return reference_backend().create_kernel(context);
  }
  mutable int created = 0;

 private:
  std::set<ir::OpKind> accepted_;
};

std::unique_ptr<Session> make(std::shared_ptr<ir::Graph> graph, std::vector<std::string> backends,
                              std::vector<const Backend*> extra = {}, bool profile = false) {
  SessionOptions options;
  options.optimize = false;
  options.backends = std::move(backends);
  options.extra_backends = std::move(extra);
  options.profile = profile;
  auto session = Session::create(std::move(graph), options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  return session.ok() ? std::move(session).value() : nullptr;
}

TEST(Backend, DefaultListIsTheFastBackendsWhereBuiltThenPortableThenReference) {
  std::vector<std::string> expected = {"portable", "reference"};
  if (xnnpack_backend_if_built() != nullptr) expected.insert(expected.begin(), "xnnpack");
  if (onednn_backend_if_built() != nullptr) expected.insert(expected.begin(), "onednn");
  expected.insert(expected.begin(), "sparse");  // every build; declines all but sparse 1x1 layers
  EXPECT_EQ(builtin_backend_names(), expected);
  auto session = make(small_net(), SessionOptions{}.backends);
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(session->backends().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(session->backends()[i]->name(), expected[i]);
  // Without the fast backend: portable first, reference for what portable lacks.
  session = make(small_net(), {"portable", "reference"});
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(session->reshape(2).ok());
  const std::vector<NodePlan>& plans = session->node_plans();
  ASSERT_EQ(plans.size(), 5u);
  EXPECT_EQ(plans[0].node, "conv");
  EXPECT_EQ(plans[0].backend, "portable");
  EXPECT_EQ(plans[0].kernel, "conv2d_f32_im2col_gemm");
  EXPECT_EQ(plans[1].backend, "reference");  // portable has no Relu: falls back
  EXPECT_EQ(plans[1].kernel, "relu_f32");
  EXPECT_EQ(plans[2].kernel, "global_avg_pool_f32");
  EXPECT_EQ(plans[3].kernel, "flatten_view");
  EXPECT_EQ(plans[4].backend, "portable");
  EXPECT_EQ(plans[4].kernel, "linear_f32_gemm");
  for (size_t i = 0; i < plans.size(); ++i) EXPECT_EQ(plans[i].kernel, session->kernel(i)->name());
}

TEST(Backend, ReferenceOnlyUsesPlainKernels) {
  auto session = make(small_net(), {"reference"});
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(session->backends().size(), 1u);
  ASSERT_TRUE(session->reshape(1).ok());
  for (const NodePlan& plan : session->node_plans()) EXPECT_EQ(plan.backend, "reference") << plan.node;
  EXPECT_EQ(session->node_plans()[0].kernel, "conv2d_f32_direct");
  EXPECT_EQ(session->node_plans()[4].kernel, "linear_f32_direct");
}

TEST(Backend, RefusedNodesFallBackToReferenceAndTheChoiceIsRecorded) {
  PickyBackend picky({ir::OpKind::kRelu, ir::OpKind::kLinear});
  auto session = make(small_net(), {"picky"}, {&picky});
  ASSERT_NE(session, nullptr);
  ASSERT_EQ(session->backends().size(), 2u);  // reference appended
  ASSERT_TRUE(session->reshape(3).ok());
  const std::vector<std::string> expected = {"reference", "picky", "reference", "reference", "picky"};
  ASSERT_EQ(session->node_plans().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(session->node_plans()[i].backend, expected[i]) << session->node_plans()[i].node;
  }
  EXPECT_EQ(picky.created, 2);

  // The outputs are the reference session's.
  auto reference = make(small_net(), {"reference"});
  ASSERT_TRUE(reference->reshape(3).ok());
  const std::vector<float> x = random_floats(3 * 3 * 8 * 8, 9);
  auto ours = session->run({x});
  auto theirs = reference->run({x});
  ASSERT_TRUE(ours.ok() && theirs.ok());
  EXPECT_EQ(ours.value(), theirs.value());
}

TEST(Backend, OrderDecidesBetweenTwoAcceptingBackends) {
  PickyBackend picky({ir::OpKind::kConv2d});
  auto first = make(small_net(), {"picky", "portable"}, {&picky});
  ASSERT_TRUE(first->reshape(1).ok());
  EXPECT_EQ(first->node_plans()[0].backend, "picky");
  EXPECT_EQ(first->node_plans()[4].backend, "portable");
  auto second = make(small_net(), {"portable", "picky"}, {&picky});
  ASSERT_TRUE(second->reshape(1).ok());
  EXPECT_EQ(second->node_plans()[0].backend, "portable");
  EXPECT_EQ(second->node_plans()[1].backend, "reference");
}

TEST(Backend, UnknownBackendNameIsAnError) {
  SessionOptions options;
  options.backends = {"portable", "nosuchbackend"};
  auto session = Session::create(small_net(), options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(session.status().message().find("nosuchbackend"), std::string::npos) << session.status().message();
}

TEST(Backend, NoBackendAcceptingANodeNamesEveryReason) {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 4});
  g->inputs = {x};
  // An int64 weight: valid IR (an importer's index tensor), but no Linear kernel reads it.
  std::vector<int64_t> bytes(8, 1);
  const ir::TensorId w =
      g->add_constant("q.weight", {2, 4}, ir::DType::kInt64, Buffer::copy_of(bytes.data(), 8 * sizeof(int64_t)));
  const ir::TensorId y = g->add_value("y");
  g->add_node(make_test_node("qfc", ir::OpKind::kLinear, {x, w}, y));
  g->outputs = {y};
  auto session = make(g, {"portable", "reference"});
  ASSERT_NE(session, nullptr);
  const Status status = session->reshape(1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  for (const char* part : {"qfc", "portable", "reference", "q.weight", "int64"}) {
    EXPECT_NE(status.message().find(part), std::string::npos) << part << " in " << status.message();
  }
}

TEST(Backend, ReshapeKeepsTheKernelsAndCreatesNone) {
  PickyBackend picky({ir::OpKind::kRelu});
  auto session = make(small_net(), {"picky", "portable"}, {&picky});
  ASSERT_TRUE(session->reshape(1).ok());
  std::vector<const Kernel*> kernels;
  for (size_t i = 0; i < 5; ++i) kernels.push_back(session->kernel(i));
  EXPECT_EQ(session->kernels_created(), 5u);
  const std::vector<float> x1 = random_floats(3 * 8 * 8, 4);
  auto before = session->run({x1});
  ASSERT_TRUE(before.ok());
  for (int64_t batch : {4, 2, 1}) {
    ASSERT_TRUE(session->reshape(batch).ok());
    EXPECT_EQ(session->batch(), batch);
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(session->kernel(i), kernels[i]) << "node " << i;
  }
  EXPECT_EQ(session->kernels_created(), 5u);
  EXPECT_EQ(picky.created, 1);
  auto after = session->run({x1});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before.value(), after.value());

  // The batch-4 plan computes every image as the batch-1 plan does.
  ASSERT_TRUE(session->reshape(4).ok());
  std::vector<float> x4;
  for (int i = 0; i < 4; ++i) x4.insert(x4.end(), x1.begin(), x1.end());
  auto four = session->run({x4});
  ASSERT_TRUE(four.ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(testing::all_close(
        std::vector<float>(four.value()[0].begin() + 2 * i, four.value()[0].begin() + 2 * i + 2), before.value()[0],
        1e-6, 1e-5));
  }
}

TEST(Backend, ProfileTimesEveryNodeOnlyWhenAskedFor) {
  auto plain = make(small_net(), SessionOptions{}.backends);
  ASSERT_TRUE(plain->reshape(1).ok());
  const std::vector<float> x = random_floats(3 * 8 * 8, 5);
  ASSERT_TRUE(plain->run({x}).ok());
  EXPECT_TRUE(plain->node_seconds().empty());

  auto profiled = make(small_net(), SessionOptions{}.backends, {}, /*profile=*/true);
  ASSERT_TRUE(profiled->reshape(1).ok());
  auto out = profiled->run({x});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(profiled->node_seconds().size(), 5u);
  for (double seconds : profiled->node_seconds()) EXPECT_GE(seconds, 0.0);
  EXPECT_EQ(out.value(), plain->run({x}).value());
}

}  // namespace
}  // namespace gramlite::runtime
