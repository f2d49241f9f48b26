#include "runtime/gemm.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

#include "test_util.h"

namespace gramlite::runtime {
namespace {

using testing::all_close;
using testing::random_floats;

// C = alpha * op(A) op(B) + beta * C, the obvious triple loop in double.
void naive_gemm(const GemmArgs& g, std::vector<float>& c) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const double a = g.transpose_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const double b = g.transpose_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += a * b;
      }
      float& out = c[static_cast<size_t>(i * g.ldc + j)];
      out = static_cast<float>(g.alpha * sum + (g.beta == 0.0f ? 0.0 : g.beta * static_cast<double>(out)));
    }
  }
}

struct Case {
  int64_t m, n, k;
  bool ta, tb;
  float alpha, beta;
  int64_t pad;  // extra elements per row of A, B and C (leading dimension > minimum)
};

std::vector<Case> cases() {
  std::vector<Case> result;
  const int64_t sizes[] = {1, 3, 13, 24, 67};
  for (int64_t m : sizes)
    for (int64_t n : sizes)
      for (int64_t k : sizes) result.push_back({m, n, k, false, false, 1.0f, 0.0f, 0});
  // Transposes, alpha/beta, padded leading dimensions.
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      result.push_back({13, 67, 24, ta, tb, 1.0f, 0.0f, 0});
      result.push_back({24, 3, 67, ta, tb, 0.5f, 1.0f, 3});
      result.push_back({67, 13, 1, ta, tb, -2.0f, 0.25f, 5});
    }
  // Across the portable GEMM's cache blocks (MC 128, KC 256, NC 512) and MobileNet-like shapes.
  result.push_back({130, 515, 260, false, false, 1.0f, 0.0f, 0});
  result.push_back({129, 520, 513, false, true, 1.0f, 1.0f, 1});
  result.push_back({24, 3136, 96, false, false, 1.0f, 0.0f, 0});
  result.push_back({1, 1000, 1280, false, true, 1.0f, 0.0f, 0});
  result.push_back({0, 5, 5, false, false, 1.0f, 0.0f, 0});
  result.push_back({5, 5, 0, false, false, 1.0f, 0.5f, 0});
  return result;
}

using GemmFunction = void (*)(const GemmArgs&, float*);

void check_against_naive(GemmFunction gemm, size_t workspace_floats) {
  std::vector<float> workspace(workspace_floats + 1);
  uint32_t seed = 1;
  for (const Case& c : cases()) {
    SCOPED_TRACE(::testing::Message() << "m " << c.m << " n " << c.n << " k " << c.k << " ta " << c.ta << " tb " << c.tb
                                      << " alpha " << c.alpha << " beta " << c.beta << " pad " << c.pad);
    GemmArgs g;
    g.transpose_a = c.ta;
    g.transpose_b = c.tb;
    g.m = c.m;
    g.n = c.n;
    g.k = c.k;
    g.alpha = c.alpha;
    g.beta = c.beta;
    g.lda = (c.ta ? c.m : c.k) + c.pad;
    g.ldb = (c.tb ? c.k : c.n) + c.pad;
    g.ldc = c.n + c.pad;
    const std::vector<float> a = random_floats(static_cast<size_t>((c.ta ? c.k : c.m) * g.lda + 1), seed++);
    const std::vector<float> b = random_floats(static_cast<size_t>((c.tb ? c.n : c.k) * g.ldb + 1), seed++);
    std::vector<float> c_init = random_floats(static_cast<size_t>(c.m * g.ldc + 1), seed++);
    if (c.beta == 0.0f) {
      // beta == 0 must not read C: NaNs there must not leak.
      for (float& v : c_init) v = std::numeric_limits<float>::quiet_NaN();
    }
    g.a = a.data();
    g.b = b.data();
    std::vector<float> expected = c_init, actual = c_init;
    naive_gemm(g, expected);
    g.c = actual.data();
    gemm(g, workspace.data());
    // Only the m x n block may change; padding columns keep their values.
    const double atol = 2e-6 * static_cast<double>(c.k + 1) * std::fabs(c.alpha) + 1e-6;
    EXPECT_TRUE(all_close(actual, expected, atol, 1e-5));
  }
}

TEST(Gemm, PortableMatchesNaive) { check_against_naive(sgemm_portable, kPortableGemmWorkspaceFloats); }

TEST(Gemm, BuildGemmMatchesNaive) {
  std::cout << "sgemm backend: " << sgemm_backend_name() << "\n";
  check_against_naive(sgemm, sgemm_workspace_floats());
}

TEST(Gemm, PortableWorkspaceCanBeSizedForTheCall) {
  // Exactly the floats portable_gemm_workspace_floats(m, n) promises, with a guard after them.
  for (const auto& shape :
       std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {5, 7, 300}, {64, 256, 576}, {130, 600, 40}}) {
    const int64_t m = shape[0], n = shape[1], k = shape[2];
    const size_t floats = portable_gemm_workspace_floats(m, n);
    EXPECT_LE(floats, kPortableGemmWorkspaceFloats);
    std::vector<float> workspace(floats + 16, 12345.0f);
    const std::vector<float> a = random_floats(static_cast<size_t>(m * k), 1),
                             b = random_floats(static_cast<size_t>(k * n), 2);
    std::vector<float> c(static_cast<size_t>(m * n)), expected(c.size());
    GemmArgs g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a.data();
    g.lda = k;
    g.b = b.data();
    g.ldb = n;
    g.c = c.data();
    g.ldc = n;
    sgemm_portable(g, workspace.data());
    naive_gemm(g, expected);
    EXPECT_TRUE(all_close(c, expected, 2e-6 * static_cast<double>(k), 1e-5));
    for (size_t i = floats; i < workspace.size(); ++i) EXPECT_EQ(workspace[i], 12345.0f) << "overrun at " << i;
  }
}

TEST(Gemm, ParallelResultDoesNotDependOnThreadCount) {
  ThreadPool two(2), three(3);
  for (const auto& shape : std::vector<std::array<int64_t, 3>>{{1, 1000, 1280}, {67, 600, 13}, {200, 49, 320}}) {
    GemmArgs g;
    g.transpose_b = true;
    g.m = shape[0];
    g.n = shape[1];
    g.k = shape[2];
    const std::vector<float> a = random_floats(static_cast<size_t>(g.m * g.k), 11);
    const std::vector<float> b = random_floats(static_cast<size_t>(g.n * g.k), 12);
    g.a = a.data();
    g.lda = g.k;
    g.b = b.data();
    g.ldb = g.k;
    g.ldc = g.n;
    std::vector<float> expected(static_cast<size_t>(g.m * g.n));
    naive_gemm(g, expected);
    std::vector<float> reference;
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
      std::vector<float> workspace(parallel_sgemm_workspace_floats(thread_count(pool)) + 1);
      std::vector<float> c(expected.size());
      g.c = c.data();
      parallel_sgemm(pool, g, workspace.data());
      EXPECT_TRUE(all_close(c, expected, 1e-5 * static_cast<double>(g.k), 1e-5));
      if (reference.empty()) {
        reference = c;
      } else {
        EXPECT_EQ(c, reference) << "threads " << thread_count(pool);
      }
    }
  }
}

}  // namespace
}  // namespace gramlite::runtime
