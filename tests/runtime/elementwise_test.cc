// Activations, Add / Mul with broadcasting, and BatchNorm against their definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "runtime/reference/activation.h"
#include "runtime/reference/batch_norm.h"
#include "runtime/reference/binary_elementwise.h"
#include "test_util.h"

namespace gramlite::runtime::reference {
namespace {

using testing::all_close;
using testing::random_floats;

double naive_activation(ir::Activation a, double x) {
  const auto clamp6 = [](double v) { return std::min(std::max(v, 0.0), 6.0); };
  switch (a) {
    case ir::Activation::kRelu: return std::max(x, 0.0);
    case ir::Activation::kRelu6: return clamp6(x);
    case ir::Activation::kHardSwish: return x * clamp6(x + 3.0) / 6.0;
    case ir::Activation::kHardSigmoid: return clamp6(x + 3.0) / 6.0;
    case ir::Activation::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    default: return x;
  }
}

const ir::Activation kActivations[] = {ir::Activation::kNone,        ir::Activation::kRelu,
                                       ir::Activation::kRelu6,       ir::Activation::kHardSwish,
                                       ir::Activation::kHardSigmoid, ir::Activation::kSigmoid};

TEST(Activation, MatchesDefinitionsOnAWideRange) {
  ThreadPool three(3);
  std::vector<float> x = random_floats(40000, 3, -10.0f, 10.0f);
  x.insert(x.end(), {-3.0f, 3.0f, 0.0f, -0.0f, 6.0f, -6.0f, 100.0f, -100.0f, 1e30f, -1e30f});
  for (ir::Activation a : kActivations) {
    SCOPED_TRACE(ir::activation_name(a));
    std::vector<float> expected(x.size());
    for (size_t i = 0; i < x.size(); ++i) expected[i] = static_cast<float>(naive_activation(a, x[i]));
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
      std::vector<float> y(x.size());
      activation_f32(a, x.data(), y.data(), x.size(), pool);
      EXPECT_TRUE(all_close(y, expected, 1e-7, 1e-6));
    }
    std::vector<float> in_place = x;
    apply_activation(a, in_place.data(), in_place.size());
    EXPECT_TRUE(all_close(in_place, expected, 1e-7, 1e-6));
  }
}

TEST(Activation, ExactPoints) {
  EXPECT_EQ(relu(-1.0f), 0.0f);
  EXPECT_EQ(relu6(7.0f), 6.0f);
  EXPECT_EQ(hard_swish(-3.0f), 0.0f);
  EXPECT_EQ(hard_swish(3.0f), 3.0f);
  EXPECT_EQ(hard_sigmoid(0.0f), 0.5f);
  EXPECT_EQ(sigmoid(-200.0f), 0.0f);
  EXPECT_EQ(sigmoid(200.0f), 1.0f);
  EXPECT_TRUE(std::isnan(relu(std::numeric_limits<float>::quiet_NaN())));
}

// out[i] = a[broadcast i] op b[broadcast i], by decoding every output index.
std::vector<float> naive_broadcast(BinaryOp op, const ir::Shape& as, const std::vector<float>& a, const ir::Shape& bs,
                                   const std::vector<float>& b, const ir::Shape& out, ir::Activation act) {
  const size_t rank = out.size();
  auto pad = [&](const ir::Shape& s) {
    ir::Shape p(rank - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };
  const ir::Shape pa = pad(as), pb = pad(bs);
  std::vector<float> y(static_cast<size_t>(ir::element_count(out)));
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t rest = static_cast<int64_t>(i), ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t d = rank; d-- > 0;) {
      const int64_t index = rest % out[d];
      rest /= out[d];
      ia += (pa[d] == 1 ? 0 : index) * sa;
      ib += (pb[d] == 1 ? 0 : index) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    const double x = a[static_cast<size_t>(ia)], z = b[static_cast<size_t>(ib)];
    y[i] = static_cast<float>(naive_activation(act, op == BinaryOp::kAdd ? x + z : x * z));
  }
  return y;
}

TEST(BinaryElementwise, BroadcastShapes) {
  EXPECT_EQ(broadcast_shape({2, 3, 4, 5}, {3, 1, 1}).value(), (ir::Shape{2, 3, 4, 5}));
  EXPECT_EQ(broadcast_shape({2, 1, 4, 1}, {1, 3, 1, 5}).value(), (ir::Shape{2, 3, 4, 5}));
  EXPECT_EQ(broadcast_shape({}, {3}).value(), (ir::Shape{3}));
  EXPECT_FALSE(broadcast_shape({2, 3}, {4}).ok());
}

TEST(BinaryElementwise, FastPathsArePicked) {
  EXPECT_EQ(plan_broadcast({2, 24, 5, 5}, {2, 24, 5, 5}).value().kind, BroadcastPlan::Kind::kSameShape);
  const BroadcastPlan se = plan_broadcast({2, 24, 5, 5}, {2, 24, 1, 1}).value();
  EXPECT_EQ(se.kind, BroadcastPlan::Kind::kChannel);
  EXPECT_EQ(se.outer * se.middle, 48);
  EXPECT_EQ(se.inner, 25);
  const BroadcastPlan swapped = plan_broadcast({24, 1, 1}, {2, 24, 5, 5}).value();
  EXPECT_EQ(swapped.kind, BroadcastPlan::Kind::kChannel);
  EXPECT_TRUE(swapped.swap_operands);
  EXPECT_EQ(plan_broadcast({2, 1, 5, 5}, {1, 24, 1, 1}).value().kind, BroadcastPlan::Kind::kGeneral);
}

TEST(BinaryElementwise, MatchesNaiveBroadcasting) {
  ThreadPool two(2), three(3);
  const std::vector<std::pair<ir::Shape, ir::Shape>> cases = {
      {{2, 24, 5, 5}, {2, 24, 5, 5}},  // same shape
      {{2, 13, 7, 7}, {2, 13, 1, 1}},  // squeeze-excitation scale
      {{2, 12, 3, 5}, {1, 12, 1, 1}},
      {{2, 12, 3, 5}, {12, 1, 1}},     // bias-like
      {{1, 13, 1, 1}, {1, 13, 9, 9}},  // small operand first
      {{2, 12, 3, 5}, {1}},            // scalar
      {{2, 12, 3, 5}, {}},             // rank-0 scalar
      {{2, 12, 3, 5}, {5}},            // row
      {{2, 12, 3, 5}, {3, 5}},
      {{2, 1, 4, 5}, {1, 3, 1, 5}},  // both broadcast: general path
      {{4, 1}, {1, 24}},
      {{2, 12, 1, 5}, {2, 1, 7, 1}},
      {{3}, {3}},
      {{1}, {1}},
      {{70000}, {70000}},  // several work items
  };
  uint32_t seed = 7;
  for (const auto& [as, bs] : cases) {
    const ir::Shape out = broadcast_shape(as, bs).value();
    const std::vector<float> a = random_floats(static_cast<size_t>(ir::element_count(as)), seed++);
    const std::vector<float> b = random_floats(static_cast<size_t>(ir::element_count(bs)), seed++);
    for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul}) {
      for (ir::Activation act : {ir::Activation::kNone, ir::Activation::kRelu6}) {
        SCOPED_TRACE(::testing::Message() << ir::shape_to_string(as) << (op == BinaryOp::kAdd ? " + " : " * ")
                                          << ir::shape_to_string(bs) << " act " << ir::activation_name(act));
        const std::vector<float> expected = naive_broadcast(op, as, a, bs, b, out, act);
        for (bool general : {false, true}) {
          const BroadcastPlan plan = general ? plan_broadcast_general(as, bs).value() : plan_broadcast(as, bs).value();
          for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
            std::vector<float> y(expected.size());
            binary_elementwise_f32(op, plan, a.data(), b.data(), y.data(), act, pool);
            EXPECT_TRUE(all_close(y, expected, 1e-6, 1e-6))
                << "general " << general << " threads " << thread_count(pool);
          }
        }
      }
    }
  }
}

TEST(BatchNorm, MatchesDefinition) {
  ThreadPool two(2);
  for (const auto& shape : std::vector<ir::Shape>{{2, 24, 5, 5}, {3, 13}, {1, 12, 7, 3}}) {
    const int64_t n = shape[0], c = shape[1];
    int64_t inner = 1;
    for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
    const std::vector<float> x = random_floats(static_cast<size_t>(n * c * inner), 1, -2.0f, 2.0f);
    const std::vector<float> gamma = random_floats(static_cast<size_t>(c), 2);
    const std::vector<float> beta = random_floats(static_cast<size_t>(c), 3);
    const std::vector<float> mean = random_floats(static_cast<size_t>(c), 4);
    const std::vector<float> var = random_floats(static_cast<size_t>(c), 5, 0.1f, 2.0f);
    const float eps = 1e-3f;
    std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
    batch_norm_scale_shift(gamma.data(), beta.data(), mean.data(), var.data(), eps, c, scale.data(), shift.data());
    for (ir::Activation act : {ir::Activation::kNone, ir::Activation::kRelu}) {
      std::vector<float> expected(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const size_t ch = (i / static_cast<size_t>(inner)) % static_cast<size_t>(c);
        const double v =
            (x[i] - static_cast<double>(mean[ch])) / std::sqrt(static_cast<double>(var[ch]) + eps) * gamma[ch] +
            beta[ch];
        expected[i] = static_cast<float>(naive_activation(act, v));
      }
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
        std::vector<float> y(x.size());
        batch_norm_f32(x.data(), y.data(), n, c, inner, scale.data(), shift.data(), act, pool);
        EXPECT_TRUE(all_close(y, expected, 1e-5, 1e-5)) << ir::shape_to_string(shape);
      }
    }
  }
}

}  // namespace
}  // namespace gramlite::runtime::reference
