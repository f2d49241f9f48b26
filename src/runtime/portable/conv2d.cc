#include "runtime/portable/conv2d.h"

#include <algorithm>

#include "runtime/gemm.h"
#include "runtime/reference/activation.h"

namespace gramlite::runtime::portable {

using reference::apply_activation;
namespace {

// First index i >= 0 with i * stride >= value.
int64_t first_at_least(int64_t value, int64_t stride) { return value <= 0 ? 0 : (value + stride - 1) / stride; }
// One past the last index i with i * stride <= value (0 when value < 0), capped at `limit`.
int64_t end_at_most(int64_t value, int64_t stride, int64_t limit) {
  return value < 0 ? 0 : std::min(limit, value / stride + 1);
}

// rows x cols block of y with row stride ldc: y = activation(y + bias[row]).
void finish_block(float* y, int64_t ldc, int64_t rows, int64_t cols, const float* bias, ir::Activation activation) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * ldc;
    if (bias != nullptr) {
      const float b = bias[r];
      for (int64_t j = 0; j < cols; ++j) row[j] += b;
    }
    apply_activation(activation, row, static_cast<size_t>(cols));
  }
}

void depthwise_direct(const Conv2dParams& p, const float* input, const float* weight, const float* bias, float* output,
                      ThreadPool* pool) {
  const ir::Conv2dAttrs& a = p.attrs;
  const int64_t multiplier = p.out_channels / p.in_channels;
  const int64_t in_plane = p.in_h * p.in_w;
  const int64_t out_plane = p.out_h * p.out_w;
  parallel_for(pool, p.batch * p.out_channels, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / p.out_channels;
      const int64_t o = item % p.out_channels;
      const float* x = input + (n * p.in_channels + o / multiplier) * in_plane;
      const float* w = weight + o * a.kernel_h * a.kernel_w;
      float* y = output + item * out_plane;
      std::fill(y, y + out_plane, bias != nullptr ? bias[o] : 0.0f);
      for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
        const int64_t row_offset = kh * a.dilation_h - a.padding.top;  // ih = oh * stride_h + row_offset
        const int64_t oh_begin = first_at_least(-row_offset, a.stride_h);
        const int64_t oh_end = end_at_most(p.in_h - 1 - row_offset, a.stride_h, p.out_h);
        for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
          const float tap = w[kh * a.kernel_w + kw];
          const int64_t col_offset = kw * a.dilation_w - a.padding.left;  // iw = ow * stride_w + col_offset
          const int64_t ow_begin = first_at_least(-col_offset, a.stride_w);
          const int64_t ow_end = end_at_most(p.in_w - 1 - col_offset, a.stride_w, p.out_w);
          for (int64_t oh = oh_begin; oh < oh_end; ++oh) {
            const float* x_row = x + (oh * a.stride_h + row_offset) * p.in_w + col_offset;
            float* y_row = y + oh * p.out_w;
            if (a.stride_w == 1) {
              for (int64_t ow = ow_begin; ow < ow_end; ++ow) y_row[ow] += tap * x_row[ow];
            } else {
              for (int64_t ow = ow_begin; ow < ow_end; ++ow) y_row[ow] += tap * x_row[ow * a.stride_w];
            }
          }
        }
      }
      apply_activation(p.activation, y, static_cast<size_t>(out_plane));
    }
  });
}

// Fills col[kk][t] (kk over C/groups * kH * kW, t over `cols` output pixels from first_pixel) for
// one image and group; x points at the group's first input channel.
void im2col(const Conv2dParams& p, const float* x, int64_t first_pixel, int64_t cols, float* col) {
  const ir::Conv2dAttrs& a = p.attrs;
  const int64_t group_channels = p.in_channels / a.groups;
  const int64_t taps = int64_t{a.kernel_h} * a.kernel_w;
  for (int64_t kk = 0; kk < group_channels * taps; ++kk) {
    const int64_t c = kk / taps;
    const int64_t kh = (kk % taps) / a.kernel_w;
    const int64_t kw = kk % a.kernel_w;
    const float* x_channel = x + c * p.in_h * p.in_w;
    float* dst = col + kk * cols;
    int64_t pixel = first_pixel;
    for (int64_t t = 0; t < cols;) {
      const int64_t oh = pixel / p.out_w;
      const int64_t ow0 = pixel % p.out_w;
      const int64_t segment = std::min(cols - t, p.out_w - ow0);
      const int64_t ih = oh * a.stride_h - a.padding.top + kh * a.dilation_h;
      if (ih < 0 || ih >= p.in_h) {
        std::fill(dst + t, dst + t + segment, 0.0f);
      } else {
        const float* x_row = x_channel + ih * p.in_w;
        for (int64_t j = 0; j < segment; ++j) {
          const int64_t iw = (ow0 + j) * a.stride_w - a.padding.left + kw * a.dilation_w;
          dst[t + j] = (iw >= 0 && iw < p.in_w) ? x_row[iw] : 0.0f;
        }
      }
      t += segment;
      pixel += segment;
    }
  }
}

// Pointwise and im2col share the work decomposition: items (image, group, pixel tile, channel
// block), channel blocks innermost so consecutive items of one thread reuse its column matrix.
void conv_gemm(const Conv2dParams& p, bool use_im2col, const float* input, const float* weight, const float* bias,
               float* output, float* scratch, ThreadPool* pool) {
  const ir::Conv2dAttrs& a = p.attrs;
  const int64_t groups = a.groups;
  const int64_t group_in = p.in_channels / groups;
  const int64_t group_out = p.out_channels / groups;
  const int64_t k = group_in * a.kernel_h * a.kernel_w;
  const int64_t pixels = p.out_h * p.out_w;
  const int64_t tiles = (pixels + kConvPixelTile - 1) / kConvPixelTile;
  const int64_t blocks = (group_out + kConvChannelBlock - 1) / kConvChannelBlock;
  const int64_t items = p.batch * groups * tiles * blocks;
  const size_t gemm_floats = sgemm_workspace_floats(kConvChannelBlock, kConvPixelTile);
  const size_t thread_floats = (use_im2col ? static_cast<size_t>(k * kConvPixelTile) : 0) + gemm_floats;

  run_on_threads(pool, [&](int thread_index, int thread_count) {
    float* col = scratch == nullptr ? nullptr : scratch + static_cast<size_t>(thread_index) * thread_floats;
    float* gemm_workspace = col == nullptr ? nullptr : col + (thread_floats - gemm_floats);
    int64_t col_key = -1;  // (image, group, tile) whose column matrix `col` holds
    const Range range = split_range(items, thread_index, thread_count);
    for (int64_t item = range.begin; item < range.end; ++item) {
      const int64_t block = item % blocks;
      const int64_t key = item / blocks;
      const int64_t tile = key % tiles;
      const int64_t g = (key / tiles) % groups;
      const int64_t n = key / (tiles * groups);
      const int64_t first_pixel = tile * kConvPixelTile;
      const int64_t cols = std::min(kConvPixelTile, pixels - first_pixel);
      const int64_t first_out = g * group_out + block * kConvChannelBlock;
      const int64_t rows = std::min(kConvChannelBlock, group_out - block * kConvChannelBlock);
      const float* x = input + (n * p.in_channels + g * group_in) * p.in_h * p.in_w;

      GemmArgs gemm;
      gemm.m = rows;
      gemm.n = cols;
      gemm.k = k;
      gemm.a = weight + first_out * k;
      gemm.lda = k;
      if (use_im2col) {
        if (key != col_key) {
          im2col(p, x, first_pixel, cols, col);
          col_key = key;
        }
        gemm.b = col;
        gemm.ldb = cols;
      } else {
        gemm.b = x + first_pixel;
        gemm.ldb = pixels;
      }
      float* y = output + (n * p.out_channels + first_out) * pixels + first_pixel;
      gemm.c = y;
      gemm.ldc = pixels;
      sgemm(gemm, gemm_workspace);
      finish_block(y, pixels, rows, cols, bias == nullptr ? nullptr : bias + first_out, p.activation);
    }
  });
}

class Conv2dKernel final : public Kernel {
 public:
  Conv2dKernel(Conv2dAlgorithm algorithm, bool has_bias)
      : algorithm_(algorithm),
        has_bias_(has_bias),
        name_(std::string("conv2d_f32_") + conv2d_algorithm_name(algorithm)) {}
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext& context) override {
    GRAMLITE_ASSIGN_OR_RETURN(params_, reference::plan_conv2d(context));
    if (!conv2d_algorithm_applies(params_, algorithm_)) {
      return invalid_argument("Conv2d: ", conv2d_algorithm_name(algorithm_), " does not apply to the new shapes");
    }
    scratch_floats_ = conv2d_scratch_floats(params_, algorithm_, context.thread_count);
    return Status::Ok();
  }
  size_t scratch_bytes() const override { return scratch_floats_ * sizeof(float); }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    conv2d_f32(params_, algorithm_, input_f32(io, 0), input_f32(io, 1), has_bias_ ? input_f32(io, 2) : nullptr,
               output_f32(io, 0), scratch_f32(io), pool);
  }

 private:
  Conv2dAlgorithm algorithm_;
  bool has_bias_;
  std::string name_;
  Conv2dParams params_;
  size_t scratch_floats_ = 0;
};

}  // namespace

const char* conv2d_algorithm_name(Conv2dAlgorithm algorithm) {
  switch (algorithm) {
    case Conv2dAlgorithm::kDepthwiseDirect: return "depthwise_direct";
    case Conv2dAlgorithm::kPointwiseGemm: return "pointwise_gemm";
    case Conv2dAlgorithm::kIm2colGemm: return "im2col_gemm";
  }
  return "invalid";
}

bool conv2d_algorithm_applies(const Conv2dParams& p, Conv2dAlgorithm algorithm) {
  const ir::Conv2dAttrs& a = p.attrs;
  switch (algorithm) {
    case Conv2dAlgorithm::kDepthwiseDirect: return a.groups == p.in_channels && p.out_channels % p.in_channels == 0;
    case Conv2dAlgorithm::kPointwiseGemm:
      return a.kernel_h == 1 && a.kernel_w == 1 && a.stride_h == 1 && a.stride_w == 1 && a.padding == ir::Padding2d{} &&
             p.out_h == p.in_h && p.out_w == p.in_w;
    case Conv2dAlgorithm::kIm2colGemm: return true;
  }
  return false;
}

Conv2dAlgorithm choose_conv2d_algorithm(const Conv2dParams& p) {
  // Depthwise first: a 1x1 depthwise conv is a per-channel scale, cheaper direct than as GEMMs
  // with one row of K.
  if (conv2d_algorithm_applies(p, Conv2dAlgorithm::kDepthwiseDirect)) return Conv2dAlgorithm::kDepthwiseDirect;
  if (conv2d_algorithm_applies(p, Conv2dAlgorithm::kPointwiseGemm)) return Conv2dAlgorithm::kPointwiseGemm;
  return Conv2dAlgorithm::kIm2colGemm;
}

size_t conv2d_scratch_floats(const Conv2dParams& p, Conv2dAlgorithm algorithm, int thread_count) {
  const size_t threads = static_cast<size_t>(std::max(thread_count, 1));
  switch (algorithm) {
    case Conv2dAlgorithm::kDepthwiseDirect: return 0;
    case Conv2dAlgorithm::kPointwiseGemm: return threads * sgemm_workspace_floats(kConvChannelBlock, kConvPixelTile);
    case Conv2dAlgorithm::kIm2colGemm: {
      const int64_t k = p.in_channels / p.attrs.groups * p.attrs.kernel_h * p.attrs.kernel_w;
      return threads *
             (static_cast<size_t>(k * kConvPixelTile) + sgemm_workspace_floats(kConvChannelBlock, kConvPixelTile));
    }
  }
  return 0;
}

void conv2d_f32(const Conv2dParams& params, Conv2dAlgorithm algorithm, const float* input, const float* weight,
                const float* bias, float* output, float* scratch, ThreadPool* pool) {
  switch (algorithm) {
    case Conv2dAlgorithm::kDepthwiseDirect: return depthwise_direct(params, input, weight, bias, output, pool);
    case Conv2dAlgorithm::kPointwiseGemm: return conv_gemm(params, false, input, weight, bias, output, scratch, pool);
    case Conv2dAlgorithm::kIm2colGemm: return conv_gemm(params, true, input, weight, bias, output, scratch, pool);
  }
}

Result<std::unique_ptr<Kernel>> create_conv2d_kernel(const KernelContext& context) {
  // The algorithm depends on channels, kernel, stride and padding, never on the batch, so it is
  // chosen once here from the creation shapes.
  GRAMLITE_ASSIGN_OR_RETURN(Conv2dParams params, reference::plan_conv2d(context));
  return std::unique_ptr<Kernel>(
      std::make_unique<Conv2dKernel>(choose_conv2d_algorithm(params), has_input(context.node, 2)));
}

}  // namespace gramlite::runtime::portable
