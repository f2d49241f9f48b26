// Single-precision GEMM for the reference runtime's Conv2d and Linear kernels.
//
//   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C        (all row-major)
//
// op(A) is A stored [m x k] with row stride lda >= k, or, with transpose_a, A^T where A is stored
// [k x m] with lda >= m; likewise op(B) with ldb. C has row stride ldc >= n. When beta == 0, C is
// written without being read (NaNs in C do not leak), as in BLAS.
//
// Two implementations:
//  - sgemm_portable: always built; a cache-blocked GEMM in plain C++ (BLIS-style loops: pack a
//    KC x NC panel of B and an MC x KC block of A, then an MR x NR register tile the compiler
//    vectorises). It needs a caller-provided workspace (portable_gemm_workspace_floats), so
//    a call never allocates.
//  - with GRAMLITE_HAVE_CBLAS (CMake option GRAMLITE_WITH_BLAS and OpenBLAS found): cblas_sgemm.
//    OpenBLAS is told once to use one thread; parallelism comes from our own pool, which splits
//    the work into slices and calls sgemm once per slice.
// sgemm() picks CBLAS when it is built in, the portable one otherwise.
//
// Every function here is single-threaded except parallel_sgemm. Each output element is computed
// by exactly one call, with the same order of additions however the work is split, so results do
// not depend on the number of threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gramlite/base/thread_pool.h"

namespace gramlite::runtime {

struct GemmArgs {
  bool transpose_a = false;
  bool transpose_b = false;
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  int64_t ldc = 0;
};

// Register tile and cache blocks of the portable GEMM (floats). 4 x 8 measured fastest of
// {2..8} x {4, 8, 12, 16} on x86-64 baseline (SSE2) code: eight 4-wide accumulators fit the 16
// vector registers with room for the B row and the broadcast A value.
inline constexpr int64_t kGemmMr = 4;
inline constexpr int64_t kGemmNr = 8;
inline constexpr int64_t kGemmMc = 128;
inline constexpr int64_t kGemmKc = 256;
inline constexpr int64_t kGemmNc = 512;

// Floats of workspace sgemm_portable needs for calls with m <= max_m and n <= max_n (the packed
// block of A and panel of B; at most kPortableGemmWorkspaceFloats).
size_t portable_gemm_workspace_floats(int64_t max_m = kGemmMc, int64_t max_n = kGemmNc);
inline constexpr size_t kPortableGemmWorkspaceFloats = static_cast<size_t>(kGemmMc * kGemmKc + kGemmKc * kGemmNc);

// The portable implementation. `workspace` holds portable_gemm_workspace_floats(args.m, args.n)
// floats, owned by the caller, and is clobbered.
void sgemm_portable(const GemmArgs& args, float* workspace);

// Whether sgemm() calls CBLAS in this build, and a name for reports ("openblas" / "portable").
bool sgemm_uses_cblas();
const char* sgemm_backend_name();

// Floats of workspace an sgemm() call with m <= max_m and n <= max_n needs: 0 with CBLAS,
// portable_gemm_workspace_floats(max_m, max_n) without.
size_t sgemm_workspace_floats(int64_t max_m = kGemmMc, int64_t max_n = kGemmNc);

// The build's GEMM. `workspace` holds sgemm_workspace_floats(args.m, args.n) floats (may be
// nullptr when that is 0).
void sgemm(const GemmArgs& args, float* workspace);

// Splits C into fixed tiles (kParallelGemmTileM x kParallelGemmTileN, fixed by the shape alone)
// and spreads them over the pool's threads. `workspace` holds
// parallel_sgemm_workspace_floats(thread_count(pool)) floats.
inline constexpr int64_t kParallelGemmTileM = 64;
inline constexpr int64_t kParallelGemmTileN = 256;
size_t parallel_sgemm_workspace_floats(int thread_count);
void parallel_sgemm(ThreadPool* pool, const GemmArgs& args, float* workspace);

}  // namespace gramlite::runtime
