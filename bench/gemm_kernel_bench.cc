// GEMM and convolution kernels of the runtime's backends on MobileNetV2 / ResNet50 shapes: the
// portable backend's Conv2d (BM_Conv2d) and the reference backend's plain loops
// (BM_Conv2dReference, one thread), so the ratio portable / reference is measured in one run.
//
//   build-*/bench/gemm_kernel_bench [--benchmark_filter=...]
//
// Reports GFLOP/s (2 * multiply-accumulates per second). The build's sgemm (OpenBLAS when
// GRAMLITE_WITH_BLAS found it) and the portable GEMM run on the same shapes in the same process,
// so their ratio is meaningful even on a noisy machine.
#include <benchmark/benchmark.h>

#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/gemm.h"
#include "runtime/portable/conv2d.h"
#include "runtime/reference/conv2d.h"
#include "gramlite/base/thread_pool.h"

namespace gramlite::runtime {
namespace {

std::vector<float> random_floats(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

void set_rate(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// GEMM shapes (m, n, k, transpose_b): 1x1 convolutions are W[out, in] x X[in, H*W].
void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k", "tb"});
  b->Args({24, 3136, 96, 0});   // MobileNetV2 block 2 project: 1x1 96 -> 24 at 56x56
  b->Args({144, 3136, 24, 0});  // MobileNetV2 block 3 expand: 1x1 24 -> 144 at 56x56
  b->Args({24, 3136, 144, 0});  // MobileNetV2 block 3 project: 1x1 144 -> 24 at 56x56
  b->Args({1280, 49, 320, 0});  // MobileNetV2 last 1x1 conv: 320 -> 1280 at 7x7
  b->Args({64, 3136, 576, 0});  // ResNet50 layer1 3x3 64 -> 64 at 56x56 via im2col
  b->Args({1, 1000, 1280, 1});  // MobileNetV2 classifier, batch 1 (x W^T)
  b->Args({256, 256, 256, 0});  // square reference point
}

template <bool kPortable>
void BM_Sgemm(benchmark::State& state) {
  GemmArgs g;
  g.m = state.range(0);
  g.n = state.range(1);
  g.k = state.range(2);
  g.transpose_b = state.range(3) != 0;
  const std::vector<float> a = random_floats(static_cast<size_t>(g.m * g.k), 1);
  const std::vector<float> b = random_floats(static_cast<size_t>(g.k * g.n), 2);
  std::vector<float> c(static_cast<size_t>(g.m * g.n));
  std::vector<float> workspace(kPortableGemmWorkspaceFloats);
  g.a = a.data();
  g.lda = g.k;
  g.b = b.data();
  g.ldb = g.transpose_b ? g.k : g.n;
  g.c = c.data();
  g.ldc = g.n;
  for (auto _ : state) {
    if (kPortable) {
      sgemm_portable(g, workspace.data());
    } else {
      sgemm(g, workspace.data());
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * static_cast<double>(g.m * g.n * g.k));
  state.SetLabel(kPortable ? "portable" : sgemm_backend_name());
}
BENCHMARK_TEMPLATE(BM_Sgemm, false)->Apply(gemm_shapes);
BENCHMARK_TEMPLATE(BM_Sgemm, true)->Apply(gemm_shapes);

struct ConvShape {
  const char* name;
  int64_t c, h, w, o;
  int32_t k, stride, pad, groups;
};

// Conv layers of the zoo's models (batch 1).
const ConvShape kConvShapes[] = {
    {"mbv2_stem_3x3s2_3to32_224", 3, 224, 224, 32, 3, 2, 1, 1}, {"mbv2_pw_96to24_56", 96, 56, 56, 24, 1, 1, 0, 1},
    {"mbv2_pw_24to144_56", 24, 56, 56, 144, 1, 1, 0, 1},        {"mbv2_dw_3x3_144_56", 144, 56, 56, 144, 3, 1, 1, 144},
    {"mbv2_dw_3x3s2_144_56", 144, 56, 56, 144, 3, 2, 1, 144},   {"mbv2_pw_320to1280_7", 320, 7, 7, 1280, 1, 1, 0, 1},
    {"resnet50_3x3_64to64_56", 64, 56, 56, 64, 3, 1, 1, 1},
};

reference::Conv2dParams conv_params(const ConvShape& s) {
  reference::Conv2dParams p;
  p.in_channels = s.c;
  p.in_h = s.h;
  p.in_w = s.w;
  p.out_channels = s.o;
  p.attrs.kernel_h = p.attrs.kernel_w = s.k;
  p.attrs.stride_h = p.attrs.stride_w = s.stride;
  p.attrs.padding = {s.pad, s.pad, s.pad, s.pad};
  p.attrs.groups = s.groups;
  p.out_h = reference::conv2d_output_size(s.h, s.k, s.stride, 1, s.pad, s.pad);
  p.out_w = reference::conv2d_output_size(s.w, s.k, s.stride, 1, s.pad, s.pad);
  return p;
}

void BM_Conv2d(benchmark::State& state) {
  const ConvShape& s = kConvShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const reference::Conv2dParams p = conv_params(s);
  const portable::Conv2dAlgorithm algorithm = portable::choose_conv2d_algorithm(p);
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  const std::vector<float> x = random_floats(static_cast<size_t>(s.c * s.h * s.w), 3);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.o * (s.c / s.groups) * s.k * s.k), 4);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.o), 5);
  std::vector<float> y(static_cast<size_t>(s.o * p.out_h * p.out_w));
  std::vector<float> scratch(portable::conv2d_scratch_floats(p, algorithm, threads) + 1);
  for (auto _ : state) {
    portable::conv2d_f32(p, algorithm, x.data(), w.data(), bias.data(), y.data(), scratch.data(), pool.get());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(s.o * p.out_h * p.out_w * (s.c / s.groups) * s.k * s.k);
  set_rate(state, 2.0 * macs);
  state.SetLabel(std::string(s.name) + " " + portable::conv2d_algorithm_name(algorithm) +
                 " gemm=" + sgemm_backend_name());
}

void conv_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "threads"});
  for (int64_t shape = 0; shape < static_cast<int64_t>(std::size(kConvShapes)); ++shape) {
    for (int64_t threads : {1, 2}) b->Args({shape, threads});
  }
  b->UseRealTime();
}
BENCHMARK(BM_Conv2d)->Apply(conv_args);

// The oracle on the same shapes (one thread): how much the portable backend buys.
void BM_Conv2dReference(benchmark::State& state) {
  const ConvShape& s = kConvShapes[state.range(0)];
  const reference::Conv2dParams p = conv_params(s);
  const std::vector<float> x = random_floats(static_cast<size_t>(s.c * s.h * s.w), 3);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.o * (s.c / s.groups) * s.k * s.k), 4);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.o), 5);
  std::vector<float> y(static_cast<size_t>(s.o * p.out_h * p.out_w));
  for (auto _ : state) {
    reference::conv2d_f32(p, x.data(), w.data(), bias.data(), y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * static_cast<double>(s.o * p.out_h * p.out_w * (s.c / s.groups) * s.k * s.k));
  state.SetLabel(std::string(s.name) + " conv2d_f32_direct");
}
BENCHMARK(BM_Conv2dReference)
    ->DenseRange(0, static_cast<int64_t>(std::size(kConvShapes)) - 1)
    ->ArgName("shape")
    ->UseRealTime();

}  // namespace
}  // namespace gramlite::runtime

BENCHMARK_MAIN();
