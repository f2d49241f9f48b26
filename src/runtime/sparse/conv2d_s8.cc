// int8 1x1 convolution (and Linear) over 1x4 block-sparse weights, NHWC.
//
// A block is one output channel x 4 consecutive input channels, kept when any of its weights is
// non-zero (the last block of a row is padded with zero weights). Per tile of kTile pixels the
// input is transposed into scratch so that each block is a few vector instructions over pixels:
//
//   AVX-512 VNNI  [block][pixel] of 4 u8 (x + 128): one vpdpbusd with the block's 4 s8 weights
//                 broadcast adds the block's dot product for 16 pixels (exact, int32);
//   AVX2          [channel pair][pixel] of 2 int16 (x widened): vpmaddwd with the weight pair
//                 broadcast, two per block for 8 pixels (exact: no int16 saturation);
//   NEON, scalar  [channel][pixel] int16: vmlal_n_s16 / plain multiply-adds.
//
// acc = bias + sum w (x - z_x) = (bias - z_x sum w) + sum w x: the zero point goes into the bias at
// creation (with z_x + 128 for the u8 tile). Requantization as XNNPACK's and oneDNN's: in float32,
// acc * (s_x s_w[c] / s_y), clamped in the scaled domain, rounded to nearest even, plus z_y.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "runtime/reference/int8/int8_common.h"
#include "runtime/sparse/sparse.h"
#include "runtime/sparse/sparse_common.h"

namespace gramlite::runtime::sparse {
namespace {

namespace ref8 = reference::int8;
constexpr int P = kTile;

struct S8Weights {
  int64_t in = 0, out = 0, blocks_per_row = 0;
  std::vector<int32_t> start;    // out + 1: kept blocks of channel o are [start[o], start[o + 1])
  std::vector<int32_t> offsets;  // where the block's rows start in the tile, in the path's units
  std::vector<int32_t> w4;       // the block's 4 s8 weights (byte i = input channel 4b + i)
  std::vector<int32_t> pairs;    // AVX2: 2 per block, each 2 int16 weights
  std::vector<int32_t> bias;     // with the zero point folded in for the path's tile
  std::vector<float> scale;      // s_x s_w[c] / s_y
  float lo = -128.0f, hi = 127.0f;  // the clamp minus z_y
  int32_t zy = 0;
};

inline int8_t weight_byte(int32_t w4, int i) { return static_cast<int8_t>(static_cast<uint32_t>(w4) >> (8 * i)); }

inline int32_t requantize(int32_t acc, float scale, float lo, float hi, int32_t zy) {
  const float f = std::min(std::max(static_cast<float>(acc) * scale, lo), hi);
  return static_cast<int32_t>(std::nearbyint(f)) + zy;
}

// y[p * out + j] = g[j * P + p] for the `channels` channels of a group (values already in int8).
void unpack_s8(const int32_t* g, int channels, int count, int8_t* y, int64_t out) {
  for (int p = 0; p < count; ++p) {
    for (int j = 0; j < channels; ++j) y[p * out + j] = static_cast<int8_t>(g[j * P + p]);
  }
}

// [channel][pixel] int16 for the NEON and scalar paths; padded channels and pixels are zeros.
void pack_channels(const int8_t* x, const S8Weights& w, int count, int16_t* t) {
  const int64_t channels = w.blocks_per_row * 4;
  for (int64_t c = 0; c < channels; ++c) {
    int16_t* row = t + c * P;
    if (c < w.in) {
      for (int p = 0; p < count; ++p) row[p] = x[p * w.in + c];
      for (int p = count; p < P; ++p) row[p] = 0;
    } else {
      for (int p = 0; p < P; ++p) row[p] = 0;
    }
  }
}

void tile_scalar(const S8Weights& w, const int8_t* x, int8_t* y, int count, void* scratch, int32_t* g) {
  auto* t = static_cast<int16_t*>(scratch);
  pack_channels(x, w, count, t);
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      int32_t acc[P];
      for (int32_t& a : acc) a = w.bias[o];
      for (int32_t k = w.start[o]; k < w.start[o + 1]; ++k) {
        const int16_t* r = t + w.offsets[static_cast<size_t>(k)];
        const int32_t w4 = w.w4[static_cast<size_t>(k)];
        const int32_t w0 = weight_byte(w4, 0), w1 = weight_byte(w4, 1), w2 = weight_byte(w4, 2), w3 = weight_byte(w4, 3);
        for (int p = 0; p < P; ++p) acc[p] += w0 * r[p] + w1 * r[P + p] + w2 * r[2 * P + p] + w3 * r[3 * P + p];
      }
      for (int p = 0; p < P; ++p) g[j * P + p] = requantize(acc[p], w.scale[o], w.lo, w.hi, w.zy);
    }
    unpack_s8(g, channels, count, y + o0, w.out);
  }
}

#if GRAMLITE_SPARSE_NEON
void tile_neon(const S8Weights& w, const int8_t* x, int8_t* y, int count, void* scratch, int32_t* g) {
  auto* t = static_cast<int16_t*>(scratch);
  pack_channels(x, w, count, t);
  const float32x4_t lo = vdupq_n_f32(w.lo), hi = vdupq_n_f32(w.hi);
  const int32x4_t zy = vdupq_n_s32(w.zy);
  for (int64_t o0 = 0; o0 < w.out; o0 += 8) {
    const int channels = static_cast<int>(std::min<int64_t>(8, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      int32x4_t acc[P / 4];
      for (auto& a : acc) a = vdupq_n_s32(w.bias[o]);
      for (int32_t k = w.start[o]; k < w.start[o + 1]; ++k) {
        const int16_t* r = t + w.offsets[static_cast<size_t>(k)];
        const int32_t w4 = w.w4[static_cast<size_t>(k)];
        const int16_t w0 = weight_byte(w4, 0), w1 = weight_byte(w4, 1), w2 = weight_byte(w4, 2), w3 = weight_byte(w4, 3);
        for (int i = 0; i < P / 4; ++i) {
          int32x4_t a = vmlal_n_s16(acc[i], vld1_s16(r + 4 * i), w0);
          a = vmlal_n_s16(a, vld1_s16(r + P + 4 * i), w1);
          a = vmlal_n_s16(a, vld1_s16(r + 2 * P + 4 * i), w2);
          acc[i] = vmlal_n_s16(a, vld1_s16(r + 3 * P + 4 * i), w3);
        }
      }
      for (int i = 0; i < P / 4; ++i) {
        float32x4_t f = vmulq_n_f32(vcvtq_f32_s32(acc[i]), w.scale[o]);
        f = vminq_f32(vmaxq_f32(f, lo), hi);
        vst1q_s32(g + j * P + 4 * i, vaddq_s32(vcvtnq_s32_f32(f), zy));
      }
    }
    unpack_s8(g, channels, count, y + o0, w.out);
  }
}
#endif

#if GRAMLITE_SPARSE_X86
// The x86 paths requantize each output channel over its 32 pixels into 32 bytes, g8[j * P + p],
// for a group of 16 channels, then transpose the group's [16][32] bytes into the NHWC output:
// 16 x 16 byte transposes, one per 128-bit lane (pixels 0-15 and 16-31), 64 unpacks for 512 bytes.
constexpr int kGroup = 16;

// y[p * out + j] = g8[j * P + p] for the `channels` channels of a group (scalar: tails).
void unpack_bytes(const int8_t* g8, int channels, int count, int8_t* y, int64_t out) {
  for (int p = 0; p < count; ++p) {
    for (int j = 0; j < channels; ++j) y[p * out + j] = g8[j * P + p];
  }
}

GRAMLITE_TARGET_AVX2 void unpack16_avx2(const int8_t* g8, int count, int8_t* y, int64_t out) {
  __m256i a[16], b[16];
  for (int j = 0; j < 16; ++j) a[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(g8 + j * P));
  for (int i = 0; i < 8; ++i) {  // bytes of row pairs
    b[2 * i] = _mm256_unpacklo_epi8(a[2 * i], a[2 * i + 1]);
    b[2 * i + 1] = _mm256_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
  }
  for (int q = 0; q < 4; ++q) {  // 16-bit pairs of rows 4q .. 4q + 3
    const __m256i* r = b + 4 * q;
    a[4 * q + 0] = _mm256_unpacklo_epi16(r[0], r[2]);  // columns 0-3
    a[4 * q + 1] = _mm256_unpackhi_epi16(r[0], r[2]);  // 4-7
    a[4 * q + 2] = _mm256_unpacklo_epi16(r[1], r[3]);  // 8-11
    a[4 * q + 3] = _mm256_unpackhi_epi16(r[1], r[3]);  // 12-15
  }
  for (int h = 0; h < 2; ++h) {  // rows 8h .. 8h + 7: a[8h + k] holds rows 8h..8h+3, a[8h + 4 + k] rows 8h+4..8h+7
    for (int k = 0; k < 4; ++k) {
      b[8 * h + 2 * k] = _mm256_unpacklo_epi32(a[8 * h + k], a[8 * h + 4 + k]);      // columns 4k, 4k + 1
      b[8 * h + 2 * k + 1] = _mm256_unpackhi_epi32(a[8 * h + k], a[8 * h + 4 + k]);  // 4k + 2, 4k + 3
    }
  }
  for (int k = 0; k < 8; ++k) {  // b[k]: rows 0-7 of columns 2k, 2k + 1; b[8 + k]: rows 8-15
    a[2 * k] = _mm256_unpacklo_epi64(b[k], b[8 + k]);      // column 2k
    a[2 * k + 1] = _mm256_unpackhi_epi64(b[k], b[8 + k]);  // column 2k + 1
  }
  // a[c]: lane 0 is pixel c's 16 channels, lane 1 pixel 16 + c's.
  for (int c = 0; c < 16 && c < count; ++c) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + c * out), _mm256_castsi256_si128(a[c]));
  }
  for (int c = 0; c < 16 && 16 + c < count; ++c) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + (16 + c) * out), _mm256_extracti128_si256(a[c], 1));
  }
}

GRAMLITE_TARGET_AVX2 inline void unpack_group_avx2(const int8_t* g8, int channels, int count, int8_t* y, int64_t out) {
  if (channels == kGroup) {
    unpack16_avx2(g8, count, y, out);
  } else {
    unpack_bytes(g8, channels, count, y, out);
  }
}

// 16 s8 widened to int16, as 8 32-bit elements (channel pairs).
GRAMLITE_TARGET_AVX2 inline __m256 widen16(const int8_t* r) {
  return _mm256_castsi256_ps(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r))));
}
// 32 s8 as u8 (sign bit flipped), as 8 32-bit elements (blocks of 4).
GRAMLITE_TARGET_AVX2 inline __m256 flip32(const int8_t* r, __m256i flip) {
  return _mm256_castsi256_ps(_mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r)), flip));
}

GRAMLITE_TARGET_AVX2 inline __m256i requantize_avx2(__m256i acc, __m256 scale, __m256 lo, __m256 hi, __m256i zy) {
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
  f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(f), zy);
}

// 4 x 8 int32 already in [-128, 127] as 32 bytes in order.
GRAMLITE_TARGET_AVX2 inline void store_bytes_avx2(__m256i v0, __m256i v1, __m256i v2, __m256i v3, int8_t* dst) {
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3));
  _mm256_store_si256(reinterpret_cast<__m256i*>(dst),
                     _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*, which -Wmaybe-uninitialized
// reports when they are inlined (a known false positive, GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
GRAMLITE_TARGET_AVX512VNNI inline void requantize_store_avx512(__m512i acc, __m512 scale, __m512 lo, __m512 hi,
                                                               __m512i zy, int8_t* dst) {
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
  f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
  _mm_store_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zy)));
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// The source of the 8 input rows of pixels p .. p + 7: the input itself, or (past `count`) `pad`
// holding the valid rows and zeros.
inline const int8_t* eight_rows(const int8_t* x, int64_t in, int count, int p, int8_t* pad) {
  if (p + 8 <= count) return x + p * in;
  const int valid = std::max(0, count - p);
  if (valid > 0) std::memcpy(pad, x + p * in, static_cast<size_t>(valid * in));
  std::memset(pad + valid * in, 0, static_cast<size_t>((8 - valid) * in));
  return pad;
}

// [channel pair][pixel] of 2 int16: t[k * P + p] = (x[p][2k], x[p][2k + 1]); padded channels 0.
GRAMLITE_TARGET_AVX2 void pack_pairs_avx2(const int8_t* x, const S8Weights& w, int count, int32_t* t, int8_t* pad) {
  const int64_t in = w.in;
  const int64_t pairs = w.blocks_per_row * 2;
  auto* t16 = reinterpret_cast<int16_t*>(t);
  for (int p = 0; p < P; p += 8) {
    const int8_t* r = eight_rows(x, in, count, p, pad);
    int64_t c = 0;
    for (; c + 16 <= in; c += 16) {
      transpose8x8_store_avx2(widen16(r + c), widen16(r + in + c), widen16(r + 2 * in + c), widen16(r + 3 * in + c),
                              widen16(r + 4 * in + c), widen16(r + 5 * in + c), widen16(r + 6 * in + c),
                              widen16(r + 7 * in + c), reinterpret_cast<float*>(t + (c / 2) * P + p), P);
    }
    for (int64_t k = c / 2; k < pairs; ++k) {
      for (int row = 0; row < 8; ++row) {
        for (int h = 0; h < 2; ++h) {
          const int64_t channel = 2 * k + h;
          t16[(k * P + p + row) * 2 + h] = channel < in ? r[row * in + channel] : 0;
        }
      }
    }
  }
}

GRAMLITE_TARGET_AVX2 void tile_avx2(const S8Weights& w, const int8_t* x, int8_t* y, int count, void* scratch,
                                    int32_t* g) {
  auto* g8 = reinterpret_cast<int8_t*>(g);
  auto* t = static_cast<int32_t*>(scratch);
  pack_pairs_avx2(x, w, count, t, reinterpret_cast<int8_t*>(g) + 8 * P * sizeof(int32_t));
  const __m256 lo = _mm256_set1_ps(w.lo), hi = _mm256_set1_ps(w.hi);
  const __m256i zy = _mm256_set1_epi32(w.zy);
  const int32_t* offsets = w.offsets.data();
  const int32_t* pairs = w.pairs.data();
  for (int64_t o0 = 0; o0 < w.out; o0 += kGroup) {
    const int channels = static_cast<int>(std::min<int64_t>(kGroup, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      __m256i a0 = _mm256_set1_epi32(w.bias[o]), a1 = a0, a2 = a0, a3 = a0;
      __m256i b0 = _mm256_setzero_si256(), b1 = b0, b2 = b0, b3 = b0;
      for (int32_t k = w.start[o]; k < w.start[o + 1]; ++k) {
        const auto* r = reinterpret_cast<const __m256i*>(t + offsets[k]);
        const __m256i p0 = _mm256_set1_epi32(pairs[2 * k]), p1 = _mm256_set1_epi32(pairs[2 * k + 1]);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_load_si256(r + 0), p0));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_load_si256(r + 1), p0));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_load_si256(r + 2), p0));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_load_si256(r + 3), p0));
        b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_load_si256(r + 4), p1));
        b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(_mm256_load_si256(r + 5), p1));
        b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(_mm256_load_si256(r + 6), p1));
        b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(_mm256_load_si256(r + 7), p1));
      }
      const __m256 scale = _mm256_set1_ps(w.scale[o]);
      store_bytes_avx2(requantize_avx2(_mm256_add_epi32(a0, b0), scale, lo, hi, zy),
                       requantize_avx2(_mm256_add_epi32(a1, b1), scale, lo, hi, zy),
                       requantize_avx2(_mm256_add_epi32(a2, b2), scale, lo, hi, zy),
                       requantize_avx2(_mm256_add_epi32(a3, b3), scale, lo, hi, zy), g8 + j * P);
    }
    unpack_group_avx2(g8, channels, count, y + o0, w.out);
  }
}

// [block][pixel] of 4 u8 (x + 128): t[b * P + p] = x[p][4b .. 4b + 3] ^ 0x80, the first `width`
// (16 or 32) pixels; padded channels 0.
GRAMLITE_TARGET_AVX2 void pack_blocks_u8_avx2(const int8_t* x, const S8Weights& w, int count, int width, int32_t* t,
                                              int8_t* pad) {
  const int64_t in = w.in;
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  auto* t8 = reinterpret_cast<uint8_t*>(t);
  for (int p = 0; p < width; p += 8) {
    const int8_t* r = eight_rows(x, in, count, p, pad);
    int64_t c = 0;
    for (; c + 32 <= in; c += 32) {
      transpose8x8_store_avx2(flip32(r + c, flip), flip32(r + in + c, flip), flip32(r + 2 * in + c, flip),
                              flip32(r + 3 * in + c, flip), flip32(r + 4 * in + c, flip), flip32(r + 5 * in + c, flip),
                              flip32(r + 6 * in + c, flip), flip32(r + 7 * in + c, flip),
                              reinterpret_cast<float*>(t + (c / 4) * P + p), P);
    }
    for (int64_t b = c / 4; b < w.blocks_per_row; ++b) {
      for (int row = 0; row < 8; ++row) {
        for (int h = 0; h < 4; ++h) {
          const int64_t channel = 4 * b + h;
          t8[(b * P + p + row) * 4 + h] =
              channel < in ? static_cast<uint8_t>(static_cast<uint8_t>(r[row * in + channel]) ^ 0x80u) : 0;
        }
      }
    }
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
GRAMLITE_TARGET_AVX512VNNI void tile_avx512vnni(const S8Weights& w, const int8_t* x, int8_t* y, int count,
                                                void* scratch, int32_t* g) {
  auto* g8 = reinterpret_cast<int8_t*>(g);
  auto* t = static_cast<int32_t*>(scratch);
  // A tile of at most 16 pixels (a small map's last tile) computes one vector per block.
  const bool half = count <= 16;
  pack_blocks_u8_avx2(x, w, count, half ? 16 : P, t, g8 + 8 * P * sizeof(int32_t));
  const __m512 lo = _mm512_set1_ps(w.lo), hi = _mm512_set1_ps(w.hi);
  const __m512i zy = _mm512_set1_epi32(w.zy);
  const int32_t* offsets = w.offsets.data();
  const int32_t* w4 = w.w4.data();
  for (int64_t o0 = 0; o0 < w.out; o0 += kGroup) {
    const int channels = static_cast<int>(std::min<int64_t>(kGroup, w.out - o0));
    for (int j = 0; j < channels; ++j) {
      const auto o = static_cast<size_t>(o0 + j);
      __m512i a0 = _mm512_set1_epi32(w.bias[o]), a1 = a0;
      __m512i b0 = _mm512_setzero_si512(), b1 = b0;
      int32_t k = w.start[o];
      const int32_t end = w.start[o + 1];
      // Two blocks per step into two sets of accumulators: the vpdpbusd latency is hidden.
      if (half) {
        for (; k + 2 <= end; k += 2) {
          a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(t + offsets[k]), _mm512_set1_epi32(w4[k]));
          b0 = _mm512_dpbusd_epi32(b0, _mm512_load_si512(t + offsets[k + 1]), _mm512_set1_epi32(w4[k + 1]));
        }
      } else {
        for (; k + 2 <= end; k += 2) {
          const int32_t* r0 = t + offsets[k];
          const int32_t* r1 = t + offsets[k + 1];
          const __m512i v0 = _mm512_set1_epi32(w4[k]), v1 = _mm512_set1_epi32(w4[k + 1]);
          a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(r0), v0);
          a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(r0 + 16), v0);
          b0 = _mm512_dpbusd_epi32(b0, _mm512_load_si512(r1), v1);
          b1 = _mm512_dpbusd_epi32(b1, _mm512_load_si512(r1 + 16), v1);
        }
      }
      if (k < end) {
        const int32_t* r0 = t + offsets[k];
        const __m512i v0 = _mm512_set1_epi32(w4[k]);
        a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(r0), v0);
        if (!half) a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(r0 + 16), v0);
      }
      const __m512 scale = _mm512_set1_ps(w.scale[o]);
      requantize_store_avx512(_mm512_add_epi32(a0, b0), scale, lo, hi, zy, g8 + j * P);
      if (!half) requantize_store_avx512(_mm512_add_epi32(a1, b1), scale, lo, hi, zy, g8 + j * P + 16);
    }
    unpack_group_avx2(g8, channels, count, y + o0, w.out);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

using TileFn = void (*)(const S8Weights&, const int8_t*, int8_t*, int, void*, int32_t*);

TileFn tile_function(CodePath path) {
  switch (path) {
#if GRAMLITE_SPARSE_X86
    case CodePath::kAvx512Vnni: return tile_avx512vnni;
    case CodePath::kAvx2: return tile_avx2;
#endif
#if GRAMLITE_SPARSE_NEON
    case CodePath::kNeon: return tile_neon;
#endif
    default: return tile_scalar;
  }
}

class SparseS8Kernel final : public Kernel {
 public:
  SparseS8Kernel(std::string name, S8Weights weights, CodePath path)
      : name_(std::move(name)), w_(std::move(weights)), tile_(tile_function(path)) {}
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext& context) override {
    GRAMLITE_ASSIGN_OR_RETURN(const Geometry g, plan_geometry(context));
    pixels_ = g.pixels;
    threads_ = std::max(1, context.thread_count);
    // Every path's tile is 8 bytes per block and pixel at most (AVX2: 2 pairs of 2 int16).
    tile_bytes_ = align64(static_cast<size_t>(w_.blocks_per_row * P * 8));
    // The transposed tile, a group's results, 8 padded input rows.
    per_thread_ = tile_bytes_ + align64(8 * P * sizeof(int32_t)) + align64(static_cast<size_t>(8 * w_.in));
    return Status::Ok();
  }
  size_t scratch_bytes() const override { return per_thread_ * static_cast<size_t>(threads_); }
  size_t packed_weight_bytes() const override {
    return (w_.start.size() + w_.offsets.size() + w_.w4.size() + w_.pairs.size() + w_.bias.size()) * sizeof(int32_t) +
           w_.scale.size() * sizeof(float);
  }
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    const auto* x = static_cast<const int8_t*>(io.inputs[0]);
    auto* y = static_cast<int8_t*>(io.outputs[0]);
    for_each_tile(pool, pixels_, threads_, per_thread_, io.scratch, P, [&](int64_t first, int count, void* scratch) {
      auto* g = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(scratch) + tile_bytes_);
      tile_(w_, x + first * w_.in, y + first * w_.out, count, scratch, g);
    });
  }

 private:
  std::string name_;
  S8Weights w_;
  TileFn tile_;
  int64_t pixels_ = 0;
  int threads_ = 1;
  size_t tile_bytes_ = 0;
  size_t per_thread_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> create_s8(const KernelContext& context, double min_block_sparsity) {
  GRAMLITE_ASSIGN_OR_RETURN(const Geometry g, plan_geometry(context));
  const TensorDesc& wd = context.inputs[1];
  if (context.inputs[0].dtype != ir::DType::kInt8 || wd.dtype != ir::DType::kInt8 || !wd.is_constant() ||
      wd.tensor->sparsity.encoding != ir::SparsityEncoding::kDense) {
    return unsupported("sparse: int8 weight is not a dense-stored int8 constant");
  }
  if (context.outputs.empty() || context.outputs[0].dtype != ir::DType::kInt8) {
    return unsupported("sparse: output is not int8");
  }
  if (has_input(context.node, 2) && (context.inputs[2].dtype != ir::DType::kInt32 || !context.inputs[2].is_constant())) {
    return unsupported("sparse: bias is not an int32 constant");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const ref8::WeightLayerQuant q, ref8::plan_weight_layer_quant(context, g.out));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<float> weight_scales, ref8::weight_scales(wd, g.out));
  const auto* weights = wd.tensor->data.as<int8_t>();
  const double sparsity = zero_block_fraction(weights, g.out, g.in);
  if (sparsity < min_block_sparsity) {
    return unsupported("sparse: weight '", wd.tensor->name, "' has ", static_cast<int>(sparsity * 100),
                       "% zero 1x4 blocks, below the int8 break-even ", static_cast<int>(min_block_sparsity * 100), "%");
  }
  const int32_t* bias = q.has_bias ? context.inputs[2].tensor->data.as<int32_t>() : nullptr;
  int64_t max_bias = 0;
  for (int64_t o = 0; bias != nullptr && o < g.out; ++o) max_bias = std::max<int64_t>(max_bias, std::abs(int64_t{bias[o]}));
  if (max_bias + 2 * 255 * 128 * g.in > std::numeric_limits<int32_t>::max()) {
    return unsupported("sparse: int32 accumulators could overflow for ", g.in, " input channels");
  }
  const CodePath path = best_s8_path();
  S8Weights w;
  w.in = g.in;
  w.out = g.out;
  w.blocks_per_row = (g.in + 3) / 4;
  w.zy = q.y.zero_point;
  w.lo = static_cast<float>(q.clamp.min - q.y.zero_point);
  w.hi = static_cast<float>(q.clamp.max - q.y.zero_point);
  // The u8 tile holds x + 128, the others x.
  const int32_t tile_zero_point = q.x.zero_point + (path == CodePath::kAvx512Vnni ? 128 : 0);
  w.start.push_back(0);
  for (int64_t o = 0; o < g.out; ++o) {
    const int8_t* row = weights + o * g.in;
    int64_t sum = 0;
    for (int64_t b = 0; b < w.blocks_per_row; ++b) {
      int8_t v[4] = {0, 0, 0, 0};
      bool kept = false;
      for (int h = 0; h < 4 && 4 * b + h < g.in; ++h) {
        v[h] = row[4 * b + h];
        kept = kept || v[h] != 0;
        sum += v[h];
      }
      if (!kept) continue;
      uint32_t packed = 0;
      for (int h = 0; h < 4; ++h) packed |= static_cast<uint32_t>(static_cast<uint8_t>(v[h])) << (8 * h);
      w.w4.push_back(static_cast<int32_t>(packed));
      for (int pair = 0; pair < 2; ++pair) {
        const uint32_t lo16 = static_cast<uint16_t>(static_cast<int16_t>(v[2 * pair]));
        const uint32_t hi16 = static_cast<uint16_t>(static_cast<int16_t>(v[2 * pair + 1]));
        w.pairs.push_back(static_cast<int32_t>(lo16 | (hi16 << 16)));
      }
      // Tile units: u8 blocks (int32 each), int16 pairs (int32 each, 2 per block), int16 channels.
      const int64_t offset = path == CodePath::kAvx512Vnni ? b * P : path == CodePath::kAvx2 ? 2 * b * P : 4 * b * P;
      w.offsets.push_back(static_cast<int32_t>(offset));
    }
    w.start.push_back(static_cast<int32_t>(w.w4.size()));
    w.bias.push_back(static_cast<int32_t>((bias != nullptr ? bias[o] : 0) - int64_t{tile_zero_point} * sum));
    w.scale.push_back(q.x.scale * weight_scales[static_cast<size_t>(o)] / q.y.scale);
  }
  if (path != CodePath::kAvx2) w.pairs.clear();
  const bool conv = context.node.kind == ir::OpKind::kConv2d;
  std::string name = std::string(conv ? "conv2d_s8_sparse_1x4_" : "linear_s8_sparse_1x4_") +
                     std::to_string(std::lround(sparsity * 100)) + "pct";
  auto kernel = std::make_unique<SparseS8Kernel>(std::move(name), std::move(w), path);
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace gramlite::runtime::sparse
