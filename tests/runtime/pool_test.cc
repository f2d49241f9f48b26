// MaxPool, AvgPool and GlobalAvgPool against naive implementations of their definitions over
// kernel / stride / padding (symmetric and asymmetric) / ceil_mode / count_include_pad.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/reference/avg_pool.h"
#include "runtime/reference/global_avg_pool.h"
#include "runtime/reference/max_pool.h"
#include "test_util.h"

namespace gramlite::runtime::reference {
namespace {

using testing::all_close;
using testing::random_floats;

struct PoolCase {
  int64_t n, c, h, w;
  int32_t kh, kw, sh, sw;
  ir::Padding2d pad;
  bool ceil_mode;
};

Pool2dParams params_of(const PoolCase& t, bool count_include_pad) {
  Pool2dParams p;
  p.batch = t.n;
  p.channels = t.c;
  p.in_h = t.h;
  p.in_w = t.w;
  p.attrs.kernel_h = t.kh;
  p.attrs.kernel_w = t.kw;
  p.attrs.stride_h = t.sh;
  p.attrs.stride_w = t.sw;
  p.attrs.padding = t.pad;
  p.attrs.ceil_mode = t.ceil_mode;
  p.attrs.count_include_pad = count_include_pad;
  p.out_h = pool2d_output_size(t.h, t.kh, t.sh, t.pad.top, t.pad.bottom, t.ceil_mode);
  p.out_w = pool2d_output_size(t.w, t.kw, t.sw, t.pad.left, t.pad.right, t.ceil_mode);
  return p;
}

// For every output position, visits the window's kh x kw positions: f(inside_input, inside_padded, ih, iw).
template <typename F>
void for_each_window_position(const Pool2dParams& p, int64_t oh, int64_t ow, F f) {
  for (int64_t kh = 0; kh < p.attrs.kernel_h; ++kh)
    for (int64_t kw = 0; kw < p.attrs.kernel_w; ++kw) {
      const int64_t ih = oh * p.attrs.stride_h - p.attrs.padding.top + kh;
      const int64_t iw = ow * p.attrs.stride_w - p.attrs.padding.left + kw;
      const bool in_input = ih >= 0 && ih < p.in_h && iw >= 0 && iw < p.in_w;
      const bool in_padded = ih < p.in_h + p.attrs.padding.bottom && iw < p.in_w + p.attrs.padding.right;
      f(in_input, in_padded, ih, iw);
    }
}

std::vector<float> naive_pool(const Pool2dParams& p, const std::vector<float>& x, bool max) {
  std::vector<float> y(static_cast<size_t>(p.batch * p.channels * p.out_h * p.out_w));
  for (int64_t plane = 0; plane < p.batch * p.channels; ++plane)
    for (int64_t oh = 0; oh < p.out_h; ++oh)
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
        int64_t valid = 0, padded = 0;
        for_each_window_position(p, oh, ow, [&](bool in_input, bool in_padded, int64_t ih, int64_t iw) {
          if (in_padded) ++padded;
          if (!in_input) return;
          const double v = x[static_cast<size_t>((plane * p.in_h + ih) * p.in_w + iw)];
          best = std::max(best, v);
          sum += v;
          ++valid;
        });
        float& out = y[static_cast<size_t>((plane * p.out_h + oh) * p.out_w + ow)];
        if (max) {
          out = static_cast<float>(best);
        } else {
          out = valid == 0 ? 0.0f
                           : static_cast<float>(sum / static_cast<double>(p.attrs.count_include_pad ? padded : valid));
        }
      }
  return y;
}

std::vector<PoolCase> pool_cases() {
  const ir::Padding2d none{}, one{1, 1, 1, 1}, tf_same{0, 0, 1, 1}, odd{1, 0, 0, 1};
  return {
      {1, 24, 7, 7, 2, 2, 2, 2, none, false},
      {1, 24, 7, 7, 2, 2, 2, 2, none, true},
      {2, 13, 13, 13, 3, 3, 2, 2, one, false},  // ResNet's max pool shape, small
      {2, 13, 13, 13, 3, 3, 2, 2, one, true},
      {1, 12, 35, 35, 3, 3, 2, 2, none, false},  // Inception-like
      {1, 12, 8, 8, 3, 3, 2, 2, one, true},      // ceil adds a window that hangs past the padding
      {1, 12, 10, 11, 3, 3, 1, 1, one, false},   // Inception's 3x3/1 average pool
      {1, 12, 9, 9, 3, 3, 2, 2, tf_same, false},
      {1, 12, 10, 10, 3, 3, 2, 2, tf_same, true},
      {1, 13, 9, 8, 3, 2, 2, 3, odd, true},
      {1, 13, 6, 6, 5, 5, 3, 3, ir::Padding2d{2, 2, 2, 2}, true},
      {1, 12, 7, 5, 7, 5, 1, 1, none, false},  // one window covering everything
      {3, 12, 5, 5, 1, 1, 2, 2, none, true},
      {1, 12, 5, 5, 2, 2, 2, 2, one, true},  // ceil_mode drops a window starting in the padding
  };
}

TEST(Pool2d, OutputSizeFollowsPyTorch) {
  EXPECT_EQ(pool2d_output_size(112, 3, 2, 1, 1, false), 56);
  EXPECT_EQ(pool2d_output_size(7, 2, 2, 0, 0, false), 3);
  EXPECT_EQ(pool2d_output_size(7, 2, 2, 0, 0, true), 4);
  // ceil_mode never starts a window inside the end padding only: 6 + 1 pad, k 2, s 2.
  EXPECT_EQ(pool2d_output_size(6, 2, 2, 1, 1, true), 4);
  EXPECT_EQ(pool2d_output_size(5, 3, 2, 1, 1, true), 3);
  EXPECT_EQ(pool2d_output_size(5, 2, 2, 1, 1, false), 3);
  EXPECT_EQ(pool2d_output_size(5, 2, 2, 1, 1, true), 3);  // the 4th window would start in the padding
}

TEST(MaxPool, MatchesNaive) {
  ThreadPool three(3);
  uint32_t seed = 1;
  for (const PoolCase& t : pool_cases()) {
    const Pool2dParams p = params_of(t, true);
    SCOPED_TRACE(::testing::Message() << t.h << "x" << t.w << " k" << t.kh << "x" << t.kw << " s" << t.sh << "," << t.sw
                                      << " pad " << t.pad.top << "," << t.pad.left << "," << t.pad.bottom << ","
                                      << t.pad.right << " ceil " << t.ceil_mode);
    const std::vector<float> x = random_floats(static_cast<size_t>(t.n * t.c * t.h * t.w), seed++, -3.0f, 1.0f);
    const std::vector<float> expected = naive_pool(p, x, true);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
      std::vector<float> y(expected.size());
      max_pool2d_f32(p, x.data(), y.data(), pool);
      EXPECT_EQ(y, expected);
    }
  }
}

TEST(MaxPool, NanPropagates) {
  PoolCase t{1, 1, 4, 4, 2, 2, 2, 2, {}, false};
  const Pool2dParams p = params_of(t, true);
  std::vector<float> x(16, 1.0f);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y(4);
  max_pool2d_f32(p, x.data(), y.data(), nullptr);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 1.0f);
}

TEST(AvgPool, MatchesNaiveWithAndWithoutCountIncludePad) {
  ThreadPool two(2);
  uint32_t seed = 50;
  for (bool include : {true, false}) {
    for (const PoolCase& t : pool_cases()) {
      const Pool2dParams p = params_of(t, include);
      SCOPED_TRACE(::testing::Message() << t.h << "x" << t.w << " k" << t.kh << "x" << t.kw << " s" << t.sh << ","
                                        << t.sw << " pad " << t.pad.top << "," << t.pad.left << "," << t.pad.bottom
                                        << "," << t.pad.right << " ceil " << t.ceil_mode << " count_include_pad "
                                        << include);
      const std::vector<float> x = random_floats(static_cast<size_t>(t.n * t.c * t.h * t.w), seed++);
      const std::vector<float> expected = naive_pool(p, x, false);
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
        std::vector<float> y(expected.size());
        avg_pool2d_f32(p, x.data(), y.data(), pool);
        EXPECT_TRUE(all_close(y, expected, 1e-6, 1e-5));
      }
    }
  }
}

TEST(AvgPool, CountIncludePadChangesCornerDivisor) {
  // 2x2 input of ones, 3x3 window, padding 1: the corner output sees 4 real values of 9 positions.
  PoolCase t{1, 1, 2, 2, 3, 3, 1, 1, {1, 1, 1, 1}, false};
  const std::vector<float> x(4, 1.0f);
  std::vector<float> y(4);
  avg_pool2d_f32(params_of(t, true), x.data(), y.data(), nullptr);
  EXPECT_FLOAT_EQ(y[0], 4.0f / 9.0f);
  avg_pool2d_f32(params_of(t, false), x.data(), y.data(), nullptr);
  EXPECT_FLOAT_EQ(y[0], 1.0f);
}

TEST(GlobalAvgPool, MatchesNaive) {
  ThreadPool three(3);
  for (const auto& shape : std::vector<std::array<int64_t, 4>>{{1, 24, 7, 7}, {2, 13, 1, 1}, {3, 12, 5, 9}}) {
    const int64_t planes = shape[0] * shape[1], size = shape[2] * shape[3];
    const std::vector<float> x = random_floats(static_cast<size_t>(planes * size), 9);
    std::vector<float> expected(static_cast<size_t>(planes));
    for (int64_t i = 0; i < planes; ++i) {
      double sum = 0.0;
      for (int64_t j = 0; j < size; ++j) sum += x[static_cast<size_t>(i * size + j)];
      expected[static_cast<size_t>(i)] = static_cast<float>(sum / static_cast<double>(size));
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
      std::vector<float> y(expected.size());
      global_avg_pool_f32(x.data(), y.data(), planes, size, pool);
      EXPECT_TRUE(all_close(y, expected, 1e-6, 1e-5));
    }
  }
}

}  // namespace
}  // namespace gramlite::runtime::reference
