// What the sparse kernels share: the 1x1 geometry, the CPU's code path, 8x8 transposes.
#pragma once

#include <cstdint>
#include <cstring>

#include "gramlite/runtime/kernel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GRAMLITE_SPARSE_X86 1
#define GRAMLITE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define GRAMLITE_TARGET_AVX512VNNI __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define GRAMLITE_SPARSE_X86 0
#endif
#if defined(__ARM_NEON) || defined(__aarch64__)
#include <arm_neon.h>
#define GRAMLITE_SPARSE_NEON 1
#else
#define GRAMLITE_SPARSE_NEON 0
#endif

namespace gramlite::runtime::sparse {

// The vector code a kernel runs, best last.
enum class CodePath : uint8_t { kScalar, kNeon, kAvx2, kAvx512Vnni };
const char* code_path_name(CodePath path);
// The best path this CPU has for int8 (VNNI counts) and for float32 (AVX2 at most), lowered to
// at most `max_code_path()`.
CodePath best_s8_path();
CodePath best_f32_path();
// Tests lower the paths to cover each on one machine (kernels created afterwards use it).
void set_max_code_path(CodePath path);
CodePath max_code_path();

// A 1x1 stride-1 convolution or a Linear as [pixels, in] x [out, in]^T, NHWC.
struct Geometry {
  int64_t pixels = 0;  // N * H * W
  int64_t in = 0;
  int64_t out = 0;
};
// Checks the node (a Conv2d 1x1, stride 1, no padding, groups 1, or a Linear) and its shapes.
// kUnsupported for other shapes, whose dense kernels run them.
Result<Geometry> plan_geometry(const KernelContext& context);

// The pixels of one run split into tiles of kTile over `threads` threads, each with its own
// scratch of `per_thread_bytes`: calls fn(first_pixel, count, scratch) for every tile.
template <typename Fn>
void for_each_tile(ThreadPool* pool, int64_t pixels, int threads, size_t per_thread_bytes, void* scratch, int tile,
                   Fn&& fn) {
  const int64_t tiles = (pixels + tile - 1) / tile;
  run_on_threads(pool, [&](int index, int count) {
    const int parts = count < threads ? count : threads;
    if (index >= parts) return;
    const Range range = split_range(tiles, index, parts);
    void* mine = static_cast<uint8_t*>(scratch) + per_thread_bytes * static_cast<size_t>(index);
    for (int64_t t = range.begin; t < range.end; ++t) {
      const int64_t first = t * tile;
      const int64_t n = pixels - first < tile ? pixels - first : tile;
      fn(first, static_cast<int>(n), mine);
    }
  });
}

inline size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

#if GRAMLITE_SPARSE_X86
// Transposes 8 rows given as 256-bit registers of 8 32-bit elements: dst row c gets element c of
// every row.
GRAMLITE_TARGET_AVX2 inline void transpose8x8_store_avx2(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5,
                                                         __m256 r6, __m256 r7, float* dst, size_t dst_stride) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * dst_stride, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(dst + 1 * dst_stride, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(dst + 2 * dst_stride, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(dst + 3 * dst_stride, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(dst + 4 * dst_stride, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(dst + 5 * dst_stride, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(dst + 6 * dst_stride, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(dst + 7 * dst_stride, _mm256_permute2f128_ps(s3, s7, 0x31));
}

// dst[c * dst_stride + r] = src[r * src_stride + c] for an 8x8 block of 32-bit elements.
GRAMLITE_TARGET_AVX2 inline void transpose8x8_avx2(const float* src, size_t src_stride, float* dst, size_t dst_stride) {
  transpose8x8_store_avx2(_mm256_loadu_ps(src + 0 * src_stride), _mm256_loadu_ps(src + 1 * src_stride),
                          _mm256_loadu_ps(src + 2 * src_stride), _mm256_loadu_ps(src + 3 * src_stride),
                          _mm256_loadu_ps(src + 4 * src_stride), _mm256_loadu_ps(src + 5 * src_stride),
                          _mm256_loadu_ps(src + 6 * src_stride), _mm256_loadu_ps(src + 7 * src_stride), dst, dst_stride);
}
#endif

}  // namespace gramlite::runtime::sparse
