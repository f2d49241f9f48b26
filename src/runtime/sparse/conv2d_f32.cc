// float32 1x1 convolution (and Linear) over unstructured sparse weights, NHWC.
//
// Per tile of kTile pixels: the input rows [kTile][in] are transposed into scratch as [in][kTile]
// (8x8 AVX2 transposes), so each non-zero weight w[o][c] is one broadcast of its value and kTile / 8
// FMAs on the row of channel c; 8 output channels at a time are clamped (fused activation) into a
// [8][kTile] buffer and transposed back into the NHWC output.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "runtime/sparse/sparse.h"
#include "runtime/sparse/sparse_common.h"

namespace gramlite::runtime::sparse {
namespace {

constexpr int P = kTile;

struct F32Weights {
  int64_t in = 0, out = 0;
  std::vector<int32_t> start;    // out + 1: non-zeros of channel o are [start[o], start[o + 1])
  std::vector<int32_t> offsets;  // c * P: the row of the transposed tile
  std::vector<float> values;
  std::vector<float> bias;       // out (zeros without a bias)
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

// t[c * P + p] = x[p * in + c]; rows past `count` are zeros.
void pack_scalar(const float* x, int64_t in, int count, float* t) {
  for (int64_t c = 0; c < in; ++c) {
    float* row = t + c * P;
    for (int p = 0; p < count; ++p) row[p] = x[p * in + c];
    for (int p = count; p < P; ++p) row[p] = 0.0f;
  }
}

// y[p * out + j] = g[j * P + p] for the `channels` channels of a group.
void unpack_scalar(const float* g, int channels, int count, float* y, int64_t out) {
  for (int p = 0; p < count; ++p) {
    for (int j = 0; j < channels; ++j) y[p * out + j] = g[j * P + p];
  }
}

void tile_scalar(const F32Weights& w, const float* x, float* y, int count, float* t, float* g) {
  pack_scalar(x, w.in, count, t);
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const int64_t o = o0 + j;
      float acc[P];
      for (float& a : acc) a = w.bias[static_cast<size_t>(o)];
      for (int32_t k = w.start[static_cast<size_t>(o)]; k < w.start[static_cast<size_t>(o) + 1]; ++k) {
        const float v = w.values[static_cast<size_t>(k)];
        const float* row = t + w.offsets[static_cast<size_t>(k)];
        for (int p = 0; p < P; ++p) acc[p] += v * row[p];
      }
      for (int p = 0; p < P; ++p) g[j * P + p] = std::min(std::max(acc[p], w.lo), w.hi);
    }
    unpack_scalar(g, channels, count, y + o0, w.out);
  }
}

#if GRAMLITE_SPARSE_NEON
void tile_neon(const F32Weights& w, const float* x, float* y, int count, float* t, float* g) {
  pack_scalar(x, w.in, count, t);
  const float32x4_t lo = vdupq_n_f32(w.lo), hi = vdupq_n_f32(w.hi);
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      float32x4_t acc[P / 4];
      for (auto& a : acc) a = vdupq_n_f32(w.bias[o]);
      for (int32_t k = w.start[o]; k < w.start[o + 1]; ++k) {
        const float32x4_t v = vdupq_n_f32(w.values[static_cast<size_t>(k)]);
        const float* row = t + w.offsets[static_cast<size_t>(k)];
        for (int i = 0; i < P / 4; ++i) acc[i] = vfmaq_f32(acc[i], v, vld1q_f32(row + 4 * i));
      }
      for (int i = 0; i < P / 4; ++i) vst1q_f32(g + j * P + 4 * i, vminq_f32(vmaxq_f32(acc[i], lo), hi));
    }
    unpack_scalar(g, channels, count, y + o0, w.out);
  }
}
#endif

#if GRAMLITE_SPARSE_X86
static_assert(P == 32, "the AVX2 kernel keeps 4 vectors of 8 pixels");

// The source of the 8 input rows of pixels p .. p + 7: the input itself, or (past `count`) `pad`
// holding the valid rows and zeros, so that every transposed column is finite.
inline const float* eight_rows(const float* x, int64_t in, int count, int p, float* pad) {
  if (p + 8 <= count) return x + p * in;
  const int valid = std::max(0, count - p);
  if (valid > 0) std::memcpy(pad, x + p * in, static_cast<size_t>(valid * in) * sizeof(float));
  std::memset(pad + valid * in, 0, static_cast<size_t>((8 - valid) * in) * sizeof(float));
  return pad;
}

// t[c * P + p] = x[p * in + c] for the first `width` (16 or 32) columns.
GRAMLITE_TARGET_AVX2 void pack_avx2(const float* x, int64_t in, int count, int width, float* t, float* pad) {
  for (int p = 0; p < width; p += 8) {
    const float* rows = eight_rows(x, in, count, p, pad);
    int64_t c = 0;
    for (; c + 8 <= in; c += 8) transpose8x8_avx2(rows + c, static_cast<size_t>(in), t + c * P + p, P);
    for (; c < in; ++c) {
      for (int r = 0; r < 8; ++r) t[c * P + p + r] = rows[r * in + c];
    }
  }
}

// A group's [channels][P] results into the NHWC output.
GRAMLITE_TARGET_AVX2 void unpack_avx2(const float* g, int channels, int count, float* y, int64_t out) {
  if (channels == 8) {
    const int full = count / 8 * 8;
    for (int p = 0; p < full; p += 8) transpose8x8_avx2(g + p, P, y + p * out, static_cast<size_t>(out));
    for (int p = full; p < count; ++p) {
      for (int j = 0; j < 8; ++j) y[p * out + j] = g[j * P + p];
    }
  } else {
    unpack_scalar(g, channels, count, y, out);
  }
}

GRAMLITE_TARGET_AVX2 void tile_avx2(const F32Weights& w, const float* x, float* y, int count, float* t, float* g) {
  pack_avx2(x, w.in, count, P, t, g + 8 * P);
  const __m256 lo = _mm256_set1_ps(w.lo), hi = _mm256_set1_ps(w.hi);
  const int32_t* offsets = w.offsets.data();
  const float* values = w.values.data();
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      __m256 a0 = _mm256_set1_ps(w.bias[o]), a1 = a0, a2 = a0, a3 = a0;
      __m256 b0 = _mm256_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
      int32_t k = w.start[o];
      const int32_t end = w.start[o + 1];
      // Two non-zeros per step into two sets of accumulators: the FMA latency is hidden.
      for (; k + 2 <= end; k += 2) {
        const float* r0 = t + offsets[k];
        const float* r1 = t + offsets[k + 1];
        const __m256 v0 = _mm256_broadcast_ss(values + k);
        const __m256 v1 = _mm256_broadcast_ss(values + k + 1);
        a0 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0), a0);
        a1 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 8), a1);
        a2 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 16), a2);
        a3 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 24), a3);
        b0 = _mm256_fmadd_ps(v1, _mm256_load_ps(r1), b0);
        b1 = _mm256_fmadd_ps(v1, _mm256_load_ps(r1 + 8), b1);
        b2 = _mm256_fmadd_ps(v1, _mm256_load_ps(r1 + 16), b2);
        b3 = _mm256_fmadd_ps(v1, _mm256_load_ps(r1 + 24), b3);
      }
      if (k < end) {
        const float* r0 = t + offsets[k];
        const __m256 v0 = _mm256_broadcast_ss(values + k);
        a0 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0), a0);
        a1 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 8), a1);
        a2 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 16), a2);
        a3 = _mm256_fmadd_ps(v0, _mm256_load_ps(r0 + 24), a3);
      }
      float* gj = g + j * P;
      _mm256_store_ps(gj, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a0, b0), lo), hi));
      _mm256_store_ps(gj + 8, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a1, b1), lo), hi));
      _mm256_store_ps(gj + 16, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a2, b2), lo), hi));
      _mm256_store_ps(gj + 24, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a3, b3), lo), hi));
    }
    unpack_avx2(g, channels, count, y + o0, w.out);
  }
}

// AVX-512: 2 vectors of 16 pixels per non-zero, four non-zeros per step into four sets of
// accumulators (half the instructions of AVX2 per non-zero).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's _mm512_undefined_* (bug 105593)
#endif
GRAMLITE_TARGET_AVX512VNNI void tile_avx512(const F32Weights& w, const float* x, float* y, int count, float* t,
                                            float* g) {
  // A tile of at most 16 pixels (a small map's last tile) computes one vector per non-zero.
  const bool half = count <= 16;
  pack_avx2(x, w.in, count, half ? 16 : P, t, g + 8 * P);
  const __m512 lo = _mm512_set1_ps(w.lo), hi = _mm512_set1_ps(w.hi);
  const int32_t* offsets = w.offsets.data();
  const float* values = w.values.data();
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      __m512 a0 = _mm512_set1_ps(w.bias[o]), a1 = a0;
      __m512 b0 = _mm512_setzero_ps(), b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;
      int32_t k = w.start[o];
      const int32_t end = w.start[o + 1];
      if (half) {
        for (; k + 4 <= end; k += 4) {
          a0 = _mm512_fmadd_ps(_mm512_set1_ps(values[k]), _mm512_load_ps(t + offsets[k]), a0);
          b0 = _mm512_fmadd_ps(_mm512_set1_ps(values[k + 1]), _mm512_load_ps(t + offsets[k + 1]), b0);
          c0 = _mm512_fmadd_ps(_mm512_set1_ps(values[k + 2]), _mm512_load_ps(t + offsets[k + 2]), c0);
          d0 = _mm512_fmadd_ps(_mm512_set1_ps(values[k + 3]), _mm512_load_ps(t + offsets[k + 3]), d0);
        }
      } else {
        for (; k + 4 <= end; k += 4) {
          const float* r0 = t + offsets[k];
          const float* r1 = t + offsets[k + 1];
          const float* r2 = t + offsets[k + 2];
          const float* r3 = t + offsets[k + 3];
          const __m512 v0 = _mm512_set1_ps(values[k]), v1 = _mm512_set1_ps(values[k + 1]);
          const __m512 v2 = _mm512_set1_ps(values[k + 2]), v3 = _mm512_set1_ps(values[k + 3]);
          a0 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0), a0);
          a1 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0 + 16), a1);
          b0 = _mm512_fmadd_ps(v1, _mm512_load_ps(r1), b0);
          b1 = _mm512_fmadd_ps(v1, _mm512_load_ps(r1 + 16), b1);
          c0 = _mm512_fmadd_ps(v2, _mm512_load_ps(r2), c0);
          c1 = _mm512_fmadd_ps(v2, _mm512_load_ps(r2 + 16), c1);
          d0 = _mm512_fmadd_ps(v3, _mm512_load_ps(r3), d0);
          d1 = _mm512_fmadd_ps(v3, _mm512_load_ps(r3 + 16), d1);
        }
      }
      for (; k < end; ++k) {
        const float* r0 = t + offsets[k];
        const __m512 v0 = _mm512_set1_ps(values[k]);
        a0 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0), a0);
        if (!half) a1 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0 + 16), a1);
      }
      a0 = _mm512_add_ps(_mm512_add_ps(a0, b0), _mm512_add_ps(c0, d0));
      _mm512_store_ps(g + j * P, _mm512_min_ps(_mm512_max_ps(a0, lo), hi));
      if (!half) {
        a1 = _mm512_add_ps(_mm512_add_ps(a1, b1), _mm512_add_ps(c1, d1));
        _mm512_store_ps(g + j * P + 16, _mm512_min_ps(_mm512_max_ps(a1, lo), hi));
      }
    }
    unpack_avx2(g, channels, count, y + o0, w.out);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

using TileFn = void (*)(const F32Weights&, const float*, float*, int, float*, float*);

TileFn tile_function(CodePath path) {
#if GRAMLITE_SPARSE_X86
  if (path == CodePath::kAvx512Vnni) return tile_avx512;
  if (path == CodePath::kAvx2) return tile_avx2;
#endif
#if GRAMLITE_SPARSE_NEON
  if (path == CodePath::kNeon) return tile_neon;
#endif
  (void)path;
  return tile_scalar;
}

class SparseF32Kernel final : public Kernel {
 public:
  SparseF32Kernel(std::string name, F32Weights weights, CodePath path)
      : name_(std::move(name)), w_(std::move(weights)), tile_(tile_function(path)) {}
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext& context) override {
    GRAMLITE_ASSIGN_OR_RETURN(const Geometry g, plan_geometry(context));
    pixels_ = g.pixels;
    threads_ = std::max(1, context.thread_count);
    // The transposed tile, a group's results, 8 padded input rows.
    per_thread_ = align64(static_cast<size_t>(w_.in * P + 8 * P + 8 * w_.in) * sizeof(float));
    return Status::Ok();
  }
  size_t scratch_bytes() const override { return per_thread_ * static_cast<size_t>(threads_); }
  size_t packed_weight_bytes() const override {
    return w_.values.size() * sizeof(float) + w_.offsets.size() * sizeof(int32_t) + w_.start.size() * sizeof(int32_t) +
           w_.bias.size() * sizeof(float);
  }
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    const float* x = input_f32(io, 0);
    float* y = output_f32(io, 0);
    for_each_tile(pool, pixels_, threads_, per_thread_, io.scratch, P, [&](int64_t first, int count, void* scratch) {
      auto* t = static_cast<float*>(scratch);
      tile_(w_, x + first * w_.in, y + first * w_.out, count, t, t + w_.in * P);
    });
  }

 private:
  std::string name_;
  F32Weights w_;
  TileFn tile_;
  int64_t pixels_ = 0;
  int threads_ = 1;
  size_t per_thread_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_f32(const KernelContext& context, double min_sparsity) {
  GRAMLITE_ASSIGN_OR_RETURN(const Geometry g, plan_geometry(context));
  const TensorDesc& wd = context.inputs[1];
  const float* weights = constant_floats(context, 1);
  if (weights == nullptr || wd.tensor->sparsity.encoding != ir::SparsityEncoding::kDense) {
    return unsupported("sparse: weight is not a dense-stored float32 constant");
  }
  const float* bias = nullptr;
  if (has_input(context.node, 2)) {
    bias = constant_floats(context, 2);
    if (bias == nullptr) return unsupported("sparse: bias is not a float32 constant");
  }
  F32Weights w;
  switch (context.node.fused_activation) {
    case ir::Activation::kNone: break;
    case ir::Activation::kRelu: w.lo = 0.0f; break;
    case ir::Activation::kRelu6: w.lo = 0.0f, w.hi = 6.0f; break;
    default: return unsupported("sparse: fused ", ir::activation_name(context.node.fused_activation), " is not a clamp");
  }
  const double sparsity = zero_fraction(weights, static_cast<size_t>(g.in * g.out));
  if (sparsity < min_sparsity) {
    return unsupported("sparse: weight '", wd.tensor->name, "' has ", static_cast<int>(sparsity * 100),
                       "% zeros, below the float32 break-even ", static_cast<int>(min_sparsity * 100), "%");
  }
  w.in = g.in;
  w.out = g.out;
  w.start.push_back(0);
  for (int64_t o = 0; o < g.out; ++o) {
    for (int64_t c = 0; c < g.in; ++c) {
      const float v = weights[o * g.in + c];
      if (v == 0.0f) continue;
      w.offsets.push_back(static_cast<int32_t>(c * P));
      w.values.push_back(v);
    }
    w.start.push_back(static_cast<int32_t>(w.values.size()));
  }
  w.bias.assign(static_cast<size_t>(g.out), 0.0f);
  if (bias != nullptr) std::copy(bias, bias + g.out, w.bias.begin());
  const bool conv = context.node.kind == ir::OpKind::kConv2d;
  std::string name = std::string(conv ? "conv2d_f32_sparse_1x1_" : "linear_f32_sparse_") +
                     std::to_string(std::lround(sparsity * 100)) + "pct";
  auto kernel = std::make_unique<SparseF32Kernel>(std::move(name), std::move(w), best_f32_path());
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::sparse
