// The portable backend's Conv2d algorithms against a naive, obviously-correct convolution written here, over a
// matrix of shapes (channel counts 24 / 12 / 13 hit vector tails; strides, dilation, groups,
// depthwise with multipliers, asymmetric padding, tiles of pixels and channel blocks crossed).
#include "runtime/portable/conv2d.h"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/gemm.h"
#include "runtime/reference/activation.h"
#include "test_util.h"

namespace gramlite::runtime::portable {
namespace {

using reference::apply_activation;

using testing::all_close;
using testing::random_floats;

struct ConvCase {
  int64_t n, c, h, w, o;
  int32_t kh, kw, sh, sw, dh, dw;
  ir::Padding2d pad;
  int32_t groups;
  bool bias;
  ir::Activation act = ir::Activation::kNone;
};

Conv2dParams params_of(const ConvCase& t) {
  Conv2dParams p;
  p.batch = t.n;
  p.in_channels = t.c;
  p.in_h = t.h;
  p.in_w = t.w;
  p.out_channels = t.o;
  p.attrs.kernel_h = t.kh;
  p.attrs.kernel_w = t.kw;
  p.attrs.stride_h = t.sh;
  p.attrs.stride_w = t.sw;
  p.attrs.dilation_h = t.dh;
  p.attrs.dilation_w = t.dw;
  p.attrs.padding = t.pad;
  p.attrs.groups = t.groups;
  p.out_h = conv2d_output_size(t.h, t.kh, t.sh, t.dh, t.pad.top, t.pad.bottom);
  p.out_w = conv2d_output_size(t.w, t.kw, t.sw, t.dw, t.pad.left, t.pad.right);
  p.activation = t.act;
  return p;
}

// The definition, in double: y[n,o,oh,ow] = bias[o] + sum x[n, g*Cg + c, ih, iw] * w[o, c, kh, kw].
std::vector<float> naive_conv(const Conv2dParams& p, const std::vector<float>& x, const std::vector<float>& w,
                              const float* bias) {
  const auto& a = p.attrs;
  const int64_t cg = p.in_channels / a.groups, og = p.out_channels / a.groups;
  std::vector<float> y(static_cast<size_t>(p.batch * p.out_channels * p.out_h * p.out_w));
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t o = 0; o < p.out_channels; ++o)
      for (int64_t oh = 0; oh < p.out_h; ++oh)
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t g = o / og;
          double sum = bias != nullptr ? bias[o] : 0.0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t kh = 0; kh < a.kernel_h; ++kh)
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t ih = oh * a.stride_h - a.padding.top + kh * a.dilation_h;
                const int64_t iw = ow * a.stride_w - a.padding.left + kw * a.dilation_w;
                if (ih < 0 || ih >= p.in_h || iw < 0 || iw >= p.in_w) continue;
                sum += static_cast<double>(
                           x[static_cast<size_t>(((n * p.in_channels + g * cg + c) * p.in_h + ih) * p.in_w + iw)]) *
                       w[static_cast<size_t>(((o * cg + c) * a.kernel_h + kh) * a.kernel_w + kw)];
              }
          y[static_cast<size_t>(((n * p.out_channels + o) * p.out_h + oh) * p.out_w + ow)] =
              apply_activation(p.activation, static_cast<float>(sum));
        }
  return y;
}

std::vector<ConvCase> conv_cases() {
  using A = ir::Activation;
  const ir::Padding2d none{}, same1{1, 1, 1, 1}, tf_same{0, 0, 1, 1}, odd{2, 0, 1, 3};
  return {
      // pointwise (1x1, stride 1): channel tails, blocks of 64 output channels, tiles of 256 pixels
      {1, 24, 7, 7, 12, 1, 1, 1, 1, 1, 1, none, 1, true},
      {2, 13, 5, 9, 24, 1, 1, 1, 1, 1, 1, none, 1, false},
      {1, 12, 17, 19, 67, 1, 1, 1, 1, 1, 1, none, 1, true, A::kRelu6},
      {1, 96, 20, 20, 24, 1, 1, 1, 1, 1, 1, none, 1, true},
      {1, 24, 3, 3, 130, 1, 1, 1, 1, 1, 1, none, 1, false, A::kHardSwish},
      {1, 24, 6, 6, 12, 1, 1, 1, 1, 1, 1, none, 2, true},  // grouped pointwise
      // 1x1 with stride or padding (im2col)
      {1, 12, 9, 9, 13, 1, 1, 2, 2, 1, 1, none, 1, true},
      {1, 13, 4, 5, 12, 1, 1, 1, 1, 1, 1, same1, 1, true},
      // 3x3 and friends
      {1, 3, 11, 11, 24, 3, 3, 1, 1, 1, 1, same1, 1, true, A::kRelu},
      {2, 13, 10, 9, 12, 3, 3, 2, 2, 1, 1, same1, 1, true},
      {1, 24, 9, 9, 13, 3, 3, 2, 2, 1, 1, tf_same, 1, false},
      {1, 12, 12, 10, 24, 3, 3, 1, 1, 2, 2, ir::Padding2d{2, 2, 2, 2}, 1, true},
      {1, 12, 13, 11, 12, 3, 3, 1, 2, 2, 1, odd, 1, true, A::kSigmoid},
      {1, 12, 8, 8, 24, 3, 3, 1, 1, 1, 1, same1, 3, true},  // groups 3
      {1, 24, 9, 7, 24, 3, 3, 2, 1, 1, 1, odd, 2, false, A::kHardSigmoid},
      {1, 3, 23, 23, 24, 7, 7, 2, 2, 1, 1, ir::Padding2d{3, 3, 3, 3}, 1, true},  // stem-like
      {1, 3, 32, 32, 12, 3, 3, 1, 1, 1, 1, same1, 1, true},                      // 1024 pixels: several tiles
      {1, 13, 6, 9, 12, 1, 3, 1, 1, 1, 1, ir::Padding2d{0, 1, 0, 1}, 1, true},
      {1, 13, 9, 6, 12, 3, 1, 1, 1, 1, 1, ir::Padding2d{1, 0, 1, 0}, 1, true},
      {1, 4, 2, 2, 5, 5, 5, 1, 1, 1, 1, ir::Padding2d{2, 2, 2, 2}, 1, true},  // kernel larger than input
      {1, 12, 5, 5, 130, 3, 3, 1, 1, 1, 1, same1, 1, true},                   // channel blocks
      // depthwise (groups == C), multipliers 1 and 2
      {1, 24, 9, 9, 24, 3, 3, 1, 1, 1, 1, same1, 24, true, A::kRelu6},
      {2, 13, 10, 11, 13, 3, 3, 2, 2, 1, 1, tf_same, 13, false},
      {1, 12, 11, 11, 12, 5, 5, 1, 1, 2, 2, ir::Padding2d{4, 4, 4, 4}, 12, true},
      {1, 12, 8, 9, 24, 3, 3, 1, 2, 1, 1, odd, 12, true},
      {1, 13, 7, 7, 13, 1, 1, 1, 1, 1, 1, none, 13, true},
      {1, 12, 6, 6, 12, 7, 7, 2, 2, 1, 1, ir::Padding2d{3, 3, 3, 3}, 12, true},
  };
}

TEST(Conv2d, OutputSize) {
  EXPECT_EQ(conv2d_output_size(224, 3, 2, 1, 1, 1), 112);
  EXPECT_EQ(conv2d_output_size(224, 3, 2, 1, 0, 1), 112);  // TF "same"
  EXPECT_EQ(conv2d_output_size(7, 3, 1, 2, 0, 0), 3);
  EXPECT_EQ(conv2d_output_size(2, 5, 1, 1, 0, 0), 0);
}

TEST(Conv2d, AlgorithmChoice) {
  ConvCase pw{1, 24, 7, 7, 12, 1, 1, 1, 1, 1, 1, {}, 1, true};
  EXPECT_EQ(choose_conv2d_algorithm(params_of(pw)), Conv2dAlgorithm::kPointwiseGemm);
  ConvCase dw{1, 24, 7, 7, 24, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 24, true};
  EXPECT_EQ(choose_conv2d_algorithm(params_of(dw)), Conv2dAlgorithm::kDepthwiseDirect);
  ConvCase general{1, 24, 7, 7, 12, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, 1, true};
  EXPECT_EQ(choose_conv2d_algorithm(params_of(general)), Conv2dAlgorithm::kIm2colGemm);
}

TEST(Conv2d, EveryApplicableAlgorithmMatchesNaive) {
  ThreadPool two(2), three(3);
  uint32_t seed = 100;
  int checked = 0;
  for (const ConvCase& t : conv_cases()) {
    const Conv2dParams p = params_of(t);
    SCOPED_TRACE(::testing::Message() << "N" << t.n << " C" << t.c << " " << t.h << "x" << t.w << " O" << t.o << " k"
                                      << t.kh << "x" << t.kw << " s" << t.sh << "," << t.sw << " d" << t.dh << ","
                                      << t.dw << " pad " << t.pad.top << "," << t.pad.left << "," << t.pad.bottom << ","
                                      << t.pad.right << " g" << t.groups << " act " << ir::activation_name(t.act));
    ASSERT_GT(p.out_h, 0);
    ASSERT_GT(p.out_w, 0);
    const std::vector<float> x = random_floats(static_cast<size_t>(t.n * t.c * t.h * t.w), seed++);
    const std::vector<float> w =
        random_floats(static_cast<size_t>(t.o * (t.c / t.groups) * t.kh * t.kw), seed++, -0.5f, 0.5f);
    const std::vector<float> b = random_floats(static_cast<size_t>(t.o), seed++);
    const float* bias = t.bias ? b.data() : nullptr;
    const std::vector<float> expected = naive_conv(p, x, w, bias);
    const double atol = 1e-5 * static_cast<double>(t.c / t.groups * t.kh * t.kw) + 1e-6;

    for (Conv2dAlgorithm algorithm :
         {Conv2dAlgorithm::kDepthwiseDirect, Conv2dAlgorithm::kPointwiseGemm, Conv2dAlgorithm::kIm2colGemm}) {
      if (!conv2d_algorithm_applies(p, algorithm)) continue;
      SCOPED_TRACE(conv2d_algorithm_name(algorithm));
      std::vector<float> first;
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
        std::vector<float> scratch(conv2d_scratch_floats(p, algorithm, thread_count(pool)) + 1);
        std::vector<float> y(expected.size(), -7.0f);
        conv2d_f32(p, algorithm, x.data(), w.data(), bias, y.data(), scratch.data(), pool);
        EXPECT_TRUE(all_close(y, expected, atol, 1e-5)) << "threads " << thread_count(pool);
        if (first.empty()) {
          first = y;
        } else {
          EXPECT_EQ(y, first) << "result depends on the thread count (" << thread_count(pool) << ")";
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 80);
}

}  // namespace
}  // namespace gramlite::runtime::portable
