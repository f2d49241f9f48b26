#include "runtime/gemm.h"

#include <algorithm>
#include <cstring>

#ifdef GRAMLITE_HAVE_CBLAS
#include <cblas.h>

#include <mutex>
#ifdef GRAMLITE_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
#endif
#endif

namespace gramlite::runtime {
namespace {

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Packs the kc x nc block of op(B) starting at (p0, j0) into column panels of kGemmNr: panel q
// holds, for each kk, the kGemmNr values op(B)[p0 + kk][j0 + q * kGemmNr + 0..kGemmNr), zero
// padded past nc so that the micro-kernel never needs an edge case.
void pack_b(const GemmArgs& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* __restrict out) {
  for (int64_t q = 0; q < nc; q += kGemmNr) {
    const int64_t cols = std::min(kGemmNr, nc - q);
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t p = p0 + kk;
      if (!g.transpose_b) {
        const float* src = g.b + p * g.ldb + (j0 + q);
        for (int64_t j = 0; j < cols; ++j) out[j] = src[j];
      } else {
        const float* src = g.b + (j0 + q) * g.ldb + p;
        for (int64_t j = 0; j < cols; ++j) out[j] = src[j * g.ldb];
      }
      for (int64_t j = cols; j < kGemmNr; ++j) out[j] = 0.0f;
      out += kGemmNr;
    }
  }
}

// Packs the mc x kc block of op(A) starting at (i0, p0) into row panels of kGemmMr, zero padded.
void pack_a(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* __restrict out) {
  for (int64_t r = 0; r < mc; r += kGemmMr) {
    const int64_t rows = std::min(kGemmMr, mc - r);
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t p = p0 + kk;
      if (!g.transpose_a) {
        const float* src = g.a + (i0 + r) * g.lda + p;
        for (int64_t i = 0; i < rows; ++i) out[i] = src[i * g.lda];
      } else {
        const float* src = g.a + p * g.lda + (i0 + r);
        for (int64_t i = 0; i < rows; ++i) out[i] = src[i];
      }
      for (int64_t i = rows; i < kGemmMr; ++i) out[i] = 0.0f;
      out += kGemmMr;
    }
  }
}

// acc[kGemmMr][kGemmNr] = sum over kk of a[kk][:] (outer) b[kk][:]. Fixed trip counts so the
// compiler keeps the tile in vector registers.
void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* __restrict acc) {
  float tile[kGemmMr][kGemmNr] = {};
  for (int64_t kk = 0; kk < kc; ++kk) {
    for (int64_t i = 0; i < kGemmMr; ++i) {
      const float ai = a[i];
      for (int64_t j = 0; j < kGemmNr; ++j) tile[i][j] += ai * b[j];
    }
    a += kGemmMr;
    b += kGemmNr;
  }
  std::memcpy(acc, tile, sizeof(tile));
}

// C block = alpha * acc + beta * C for the rows x cols valid part of the tile.
void store_tile(const float* acc, int64_t rows, int64_t cols, float alpha, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float* src = acc + i * kGemmNr;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < cols; ++j) row[j] = alpha * src[j];
    } else if (beta == 1.0f) {
      for (int64_t j = 0; j < cols; ++j) row[j] += alpha * src[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) row[j] = alpha * src[j] + beta * row[j];
    }
  }
}

void scale_c(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) row[j] = g.beta == 0.0f ? 0.0f : g.beta * row[j];
  }
}

}  // namespace

size_t portable_gemm_workspace_floats(int64_t max_m, int64_t max_n) {
  const int64_t a_rows = std::min(kGemmMc, round_up(std::max<int64_t>(max_m, 1), kGemmMr));
  const int64_t b_cols = std::min(kGemmNc, round_up(std::max<int64_t>(max_n, 1), kGemmNr));
  return static_cast<size_t>((a_rows + b_cols) * kGemmKc);
}

void sgemm_portable(const GemmArgs& g, float* workspace) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0 || g.alpha == 0.0f) {
    scale_c(g);
    return;
  }
  float* packed_a = workspace;
  float* packed_b = workspace + std::min(kGemmMc, round_up(g.m, kGemmMr)) * kGemmKc;
  alignas(64) float acc[kGemmMr * kGemmNr];

  for (int64_t j0 = 0; j0 < g.n; j0 += kGemmNc) {
    const int64_t nc = std::min(kGemmNc, g.n - j0);
    for (int64_t p0 = 0; p0 < g.k; p0 += kGemmKc) {
      const int64_t kc = std::min(kGemmKc, g.k - p0);
      const float beta = p0 == 0 ? g.beta : 1.0f;
      pack_b(g, p0, kc, j0, nc, packed_b);
      for (int64_t i0 = 0; i0 < g.m; i0 += kGemmMc) {
        const int64_t mc = std::min(kGemmMc, g.m - i0);
        pack_a(g, i0, mc, p0, kc, packed_a);
        for (int64_t jr = 0; jr < nc; jr += kGemmNr) {
          const int64_t cols = std::min(kGemmNr, nc - jr);
          const float* b_panel = packed_b + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kGemmMr) {
            const int64_t rows = std::min(kGemmMr, mc - ir);
            micro_kernel(kc, packed_a + ir * kc, b_panel, acc);
            store_tile(acc, rows, cols, g.alpha, beta, g.c + (i0 + ir) * g.ldc + (j0 + jr), g.ldc);
          }
        }
      }
    }
  }
}

#ifdef GRAMLITE_HAVE_CBLAS

namespace {
void use_one_blas_thread() {
#ifdef GRAMLITE_HAVE_OPENBLAS
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
#endif
}
}  // namespace

bool sgemm_uses_cblas() { return true; }
const char* sgemm_backend_name() { return "openblas"; }
size_t sgemm_workspace_floats(int64_t /*max_m*/, int64_t /*max_n*/) { return 0; }

void sgemm(const GemmArgs& g, float* /*workspace*/) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    scale_c(g);
    return;
  }
  use_one_blas_thread();
  cblas_sgemm(CblasRowMajor, g.transpose_a ? CblasTrans : CblasNoTrans, g.transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(g.m), static_cast<int>(g.n), static_cast<int>(g.k), g.alpha, g.a,
              static_cast<int>(g.lda), g.b, static_cast<int>(g.ldb), g.beta, g.c, static_cast<int>(g.ldc));
}

#else

bool sgemm_uses_cblas() { return false; }
const char* sgemm_backend_name() { return "portable"; }
size_t sgemm_workspace_floats(int64_t max_m, int64_t max_n) { return portable_gemm_workspace_floats(max_m, max_n); }
void sgemm(const GemmArgs& g, float* workspace) { sgemm_portable(g, workspace); }

#endif

size_t parallel_sgemm_workspace_floats(int thread_count) {
  return static_cast<size_t>(std::max(thread_count, 1)) *
         sgemm_workspace_floats(kParallelGemmTileM, kParallelGemmTileN);
}

void parallel_sgemm(ThreadPool* pool, const GemmArgs& g, float* workspace) {
  if (g.m <= 0 || g.n <= 0) return;
  const int64_t tiles_m = (g.m + kParallelGemmTileM - 1) / kParallelGemmTileM;
  const int64_t tiles_n = (g.n + kParallelGemmTileN - 1) / kParallelGemmTileN;
  const size_t workspace_floats = sgemm_workspace_floats(kParallelGemmTileM, kParallelGemmTileN);
  run_on_threads(pool, [&](int thread_index, int thread_count) {
    float* thread_workspace =
        workspace == nullptr ? nullptr : workspace + static_cast<size_t>(thread_index) * workspace_floats;
    const Range items = split_range(tiles_m * tiles_n, thread_index, thread_count);
    for (int64_t item = items.begin; item < items.end; ++item) {
      const int64_t i0 = (item / tiles_n) * kParallelGemmTileM;
      const int64_t j0 = (item % tiles_n) * kParallelGemmTileN;
      GemmArgs tile = g;
      tile.m = std::min(kParallelGemmTileM, g.m - i0);
      tile.n = std::min(kParallelGemmTileN, g.n - j0);
      tile.a = g.transpose_a ? g.a + i0 : g.a + i0 * g.lda;
      tile.b = g.transpose_b ? g.b + j0 * g.ldb : g.b + j0;
      tile.c = g.c + i0 * g.ldc + j0;
      sgemm(tile, thread_workspace);
    }
  });
}

}  // namespace gramlite::runtime
