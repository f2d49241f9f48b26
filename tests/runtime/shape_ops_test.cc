// Concat, Pad, Softmax and Linear against naive implementations of their definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/gemm.h"
#include "runtime/reference/activation.h"
#include "runtime/reference/concat.h"
#include "runtime/portable/linear.h"
#include "runtime/reference/pad.h"
#include "runtime/reference/softmax.h"
#include "test_util.h"

namespace gramlite::runtime::reference {
namespace {

using testing::all_close;
using testing::random_floats;

// Multi-index <-> flat offset for a row-major shape.
std::vector<int64_t> unravel(int64_t flat, const ir::Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}
int64_t ravel(const std::vector<int64_t>& index, const ir::Shape& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

TEST(Concat, AnyAxisMatchesNaive) {
  ThreadPool two(2);
  const ir::Shape base{2, 3, 4, 5};
  for (int axis = -1; axis < 4; ++axis) {
    const size_t ax = static_cast<size_t>(axis < 0 ? axis + 4 : axis);
    std::vector<ir::Shape> shapes;
    std::vector<std::vector<float>> data;
    ir::Shape out = base;
    out[ax] = 0;
    for (int64_t extent : {int64_t{1}, int64_t{3}, int64_t{2}}) {
      ir::Shape s = base;
      s[ax] = extent;
      shapes.push_back(s);
      data.push_back(random_floats(static_cast<size_t>(ir::element_count(s)), static_cast<uint32_t>(extent + ax)));
      out[ax] += extent;
    }
    // Naive: every output element finds its source input by walking the axis offsets.
    std::vector<float> expected(static_cast<size_t>(ir::element_count(out)));
    for (int64_t i = 0; i < static_cast<int64_t>(expected.size()); ++i) {
      std::vector<int64_t> index = unravel(i, out);
      size_t which = 0;
      while (index[ax] >= shapes[which][ax]) index[ax] -= shapes[which++][ax];
      expected[static_cast<size_t>(i)] = data[which][static_cast<size_t>(ravel(index, shapes[which]))];
    }
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= out[d];
    for (size_t d = ax + 1; d < 4; ++d) inner *= out[d];
    std::vector<int64_t> row_lengths;
    std::vector<const float*> inputs;
    for (size_t k = 0; k < shapes.size(); ++k) {
      row_lengths.push_back(shapes[k][ax] * inner);
      inputs.push_back(data[k].data());
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
      std::vector<float> y(expected.size());
      concat_f32(inputs.data(), row_lengths, outer, y.data(), pool);
      EXPECT_EQ(y, expected) << "axis " << axis;
    }
  }
}

TEST(Pad, ConstantPaddingMatchesNaive) {
  ThreadPool three(3);
  struct Case {
    ir::Shape shape;
    std::vector<int64_t> pads;
  };
  const std::vector<Case> cases = {
      {{5}, {2, 3}},
      {{3, 4}, {1, 0, 0, 2}},
      {{1, 3, 4, 5}, {0, 0, 1, 0, 0, 0, 2, 1}},    // TF "same" style asymmetric spatial padding
      {{2, 3, 4, 5}, {0, 1, 0, 0, 1, 2, 3, 0}},    // channel padding too
      {{2, 3, 4, 5}, {0, 0, -1, 2, 0, 0, 1, -2}},  // negative pads crop
      {{1, 2, 3, 3}, {0, 0, 0, -3, 0, 0, 0, 0}},   // everything cropped along W
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(ir::shape_to_string(c.shape));
    const Result<PadParams> params = make_pad_params(c.shape, c.pads, -1.5f);
    ASSERT_TRUE(params.ok()) << params.status().message();
    const size_t rank = c.shape.size();
    ir::Shape out(rank);
    for (size_t d = 0; d < rank; ++d) out[d] = c.shape[d] + c.pads[d] + c.pads[d + rank];
    const std::vector<float> x = random_floats(static_cast<size_t>(ir::element_count(c.shape)), 5);
    std::vector<float> expected(static_cast<size_t>(ir::element_count(out)));
    for (int64_t i = 0; i < static_cast<int64_t>(expected.size()); ++i) {
      std::vector<int64_t> index = unravel(i, out);
      bool inside = true;
      for (size_t d = 0; d < rank; ++d) {
        index[d] -= c.pads[d];
        inside = inside && index[d] >= 0 && index[d] < c.shape[d];
      }
      expected[static_cast<size_t>(i)] = inside ? x[static_cast<size_t>(ravel(index, c.shape))] : -1.5f;
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
      std::vector<float> y(expected.size(), 99.0f);
      pad_f32(params.value(), x.data(), y.data(), pool);
      EXPECT_EQ(y, expected);
    }
  }
  EXPECT_FALSE(make_pad_params({2, 3}, {1, 1}, 0.0f).ok());
  EXPECT_FALSE(make_pad_params({2, 3}, {0, -3, 0, -1}, 0.0f).ok());
}

TEST(Softmax, AnyAxisIsStableAndMatchesNaive) {
  ThreadPool two(2);
  const ir::Shape shape{2, 3, 4, 5};
  std::vector<float> x = random_floats(static_cast<size_t>(ir::element_count(shape)), 8, -5.0f, 5.0f);
  x[0] = 1000.0f;  // exp(1000) overflows unless the max is subtracted
  x[1] = -1000.0f;
  for (int axis : {0, 1, 2, 3}) {
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
    for (int d = axis + 1; d < 4; ++d) inner *= shape[static_cast<size_t>(d)];
    const int64_t length = shape[static_cast<size_t>(axis)];
    std::vector<float> expected(x.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        double m = -INFINITY, sum = 0.0;
        for (int64_t i = 0; i < length; ++i)
          m = std::max(m, static_cast<double>(x[static_cast<size_t>((o * length + i) * inner + j)]));
        for (int64_t i = 0; i < length; ++i) sum += std::exp(x[static_cast<size_t>((o * length + i) * inner + j)] - m);
        for (int64_t i = 0; i < length; ++i) {
          const size_t k = static_cast<size_t>((o * length + i) * inner + j);
          expected[k] = static_cast<float>(std::exp(x[k] - m) / sum);
        }
      }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
      std::vector<float> y(x.size());
      softmax_f32(x.data(), y.data(), outer, length, inner, pool);
      EXPECT_TRUE(all_close(y, expected, 1e-6, 1e-5)) << "axis " << axis;
    }
  }
}

TEST(Linear, MatchesNaive) {
  ThreadPool two(2), three(3);
  struct Case {
    int64_t rows, in, out;
    bool bias;
    ir::Activation act;
  };
  const std::vector<Case> cases = {
      {1, 1280, 1000, true, ir::Activation::kNone},     {5, 24, 13, true, ir::Activation::kRelu},
      {13, 67, 1, false, ir::Activation::kNone},        {1, 3, 2, true, ir::Activation::kSigmoid},
      {70, 130, 300, true, ir::Activation::kHardSwish},
  };
  uint32_t seed = 20;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.in << " -> " << c.out);
    const std::vector<float> x = random_floats(static_cast<size_t>(c.rows * c.in), seed++);
    const std::vector<float> w = random_floats(static_cast<size_t>(c.out * c.in), seed++);
    const std::vector<float> b = random_floats(static_cast<size_t>(c.out), seed++);
    std::vector<float> expected(static_cast<size_t>(c.rows * c.out));
    for (int64_t r = 0; r < c.rows; ++r)
      for (int64_t o = 0; o < c.out; ++o) {
        double sum = c.bias ? b[static_cast<size_t>(o)] : 0.0;
        for (int64_t i = 0; i < c.in; ++i)
          sum += static_cast<double>(x[static_cast<size_t>(r * c.in + i)]) * w[static_cast<size_t>(o * c.in + i)];
        expected[static_cast<size_t>(r * c.out + o)] = apply_activation(c.act, static_cast<float>(sum));
      }
    LinearParams p{c.rows, c.in, c.out, c.act};
    std::vector<float> first;
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
      std::vector<float> scratch(portable::linear_scratch_floats(thread_count(pool)) + 1);
      std::vector<float> y(expected.size());
      portable::linear_f32(p, x.data(), w.data(), c.bias ? b.data() : nullptr, y.data(), scratch.data(), pool);
      EXPECT_TRUE(all_close(y, expected, 2e-6 * static_cast<double>(c.in), 1e-5));
      if (first.empty()) first = y;
      EXPECT_EQ(y, first);
    }
  }
}

}  // namespace
}  // namespace gramlite::runtime::reference
