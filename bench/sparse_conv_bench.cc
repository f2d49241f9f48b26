// The sparse backend's 1x1 kernels against the dense kernel the default backends pick for the same
// layer (oneDNN or XNNPACK, whichever comes first and accepts it), on MobileNet v1's pointwise
// shapes at 56x56..7x7 pixels (224 input), 1 thread, at sparsities 0.5..0.95: where the sparse
// time crosses the dense one is the break-even sparsity (runtime/sparse/sparse.h's thresholds).
//
//   build-*/bench/sparse_conv_bench [--benchmark_filter=...] [--benchmark_min_time=0.05]
//
// float32: unstructured zeros at random positions (fraction of zero weights). int8: zero 1x4 blocks
// at random positions (fraction of all-zero blocks), s8 activations and per-channel weights.
// Each benchmark's label names the kernel that ran.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/runtime/backend.h"
#include "runtime/sparse/sparse.h"

namespace gramlite::runtime {
namespace {

// MobileNet v1 (224) pointwise layers: in, out, side.
constexpr int64_t kShapes[][3] = {
    {64, 128, 56}, {128, 128, 56}, {128, 256, 28}, {256, 256, 28}, {256, 512, 14}, {512, 512, 14}, {512, 1024, 7}, {1024, 1024, 7},
};
constexpr int kSparsities[] = {50, 60, 70, 80, 90, 95};

struct Layer {
  std::shared_ptr<ir::Graph> graph;
  std::vector<TensorDesc> inputs, outputs;
};

TensorDesc describe(const ir::Graph& g, ir::TensorId id) {
  TensorDesc d;
  const ir::Tensor& t = g.tensor(id);
  d.present = true;
  d.dtype = t.dtype;
  d.shape = t.shape;
  d.quant = &t.quant;
  d.tensor = &t;
  return d;
}

// One 1x1 Conv2d (with bias and a fused ReLU, as MobileNet's) of `sparsity` percent zero weights
// (float32) or zero 1x4 blocks (int8).
Layer make_layer(int64_t in, int64_t out, int64_t side, int sparsity, bool int8) {
  std::mt19937 rng(static_cast<uint32_t>(in * 7 + out * 3 + side + sparsity));
  auto g = std::make_shared<ir::Graph>();
  const ir::DType act = int8 ? ir::DType::kInt8 : ir::DType::kFloat32;
  const ir::TensorId x = g->add_value("x", {1, in, side, side}, act);
  const ir::TensorId y = g->add_value("y", {1, out, side, side}, act);
  const int64_t group = int8 ? 4 : 1, per_row = (in + group - 1) / group;
  std::vector<uint8_t> zero(static_cast<size_t>(out * per_row), 0);
  std::fill(zero.begin(), zero.begin() + static_cast<int64_t>(zero.size()) * sparsity / 100, 1);
  std::shuffle(zero.begin(), zero.end(), rng);
  const auto is_zero = [&](int64_t o, int64_t c) { return zero[static_cast<size_t>(o * per_row + c / group)] != 0; };
  ir::TensorId w, b;
  if (int8) {
    std::uniform_int_distribution<int> value(-127, 127);
    std::vector<int8_t> wv(static_cast<size_t>(out * in));
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t c = 0; c < in; ++c) wv[static_cast<size_t>(o * in + c)] = is_zero(o, c) ? 0 : static_cast<int8_t>(value(rng));
    }
    const ir::AffineQuant xq{0.02f, -5}, yq{0.05f, -128};
    g->tensor(x).quant = {{xq.scale}, {xq.zero_point}, -1};
    g->tensor(y).quant = {{yq.scale}, {yq.zero_point}, -1};
    w = g->add_constant("w", {out, in, 1, 1}, ir::DType::kInt8, Buffer::copy_of(wv.data(), wv.size()));
    ir::QuantParams wq, bq;
    wq.axis = bq.axis = 0;
    for (int64_t o = 0; o < out; ++o) {
      wq.scales.push_back(0.01f);
      wq.zero_points.push_back(0);
      bq.scales.push_back(xq.scale * 0.01f);
      bq.zero_points.push_back(0);
    }
    g->tensor(w).quant = wq;
    std::vector<int32_t> bv(static_cast<size_t>(out), 100);
    b = g->add_constant("b", {out}, ir::DType::kInt32, Buffer::copy_of(bv.data(), bv.size() * sizeof(int32_t)));
    g->tensor(b).quant = bq;
  } else {
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::vector<float> wv(static_cast<size_t>(out * in));
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t c = 0; c < in; ++c) wv[static_cast<size_t>(o * in + c)] = is_zero(o, c) ? 0.0f : value(rng);
    }
    w = g->add_float_constant("w", {out, in, 1, 1}, wv);
    b = g->add_float_constant("b", {out}, std::vector<float>(static_cast<size_t>(out), 0.1f));
  }
  ir::Node node;
  node.name = "pw";
  node.kind = ir::OpKind::kConv2d;
  node.inputs = {x, w, b};
  node.outputs = {y};
  node.attrs = ir::Conv2dAttrs{};
  node.fused_activation = ir::Activation::kRelu;
  g->add_node(std::move(node));
  Layer layer;
  layer.graph = g;
  for (ir::TensorId id : g->nodes[0].inputs) layer.inputs.push_back(describe(*g, id));
  layer.outputs.push_back(describe(*g, y));
  return layer;
}

void time_kernel(benchmark::State& state, const Layer& layer, const Result<std::unique_ptr<Kernel>>& kernel, bool int8) {
  if (!kernel.ok()) {
    state.SkipWithError(kernel.status().message().c_str());
    return;
  }
  const ir::Shape& xs = layer.inputs[0].shape;
  const ir::Shape& ys = layer.outputs[0].shape;
  const size_t element = int8 ? 1 : 4;
  const auto x_bytes = static_cast<size_t>(xs[0] * xs[1] * xs[2] * xs[3]) * element;
  const auto y_bytes = static_cast<size_t>(ys[0] * ys[1] * ys[2] * ys[3]) * element;
  std::vector<uint8_t> x(x_bytes), y(y_bytes);
  std::mt19937 rng(1);
  if (int8) {
    for (uint8_t& v : x) v = static_cast<uint8_t>(rng());
  } else {
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    auto* f = reinterpret_cast<float*>(x.data());
    for (size_t i = 0; i < x_bytes / 4; ++i) f[i] = value(rng);
  }
  const size_t scratch_bytes = (*kernel)->scratch_bytes();
  void* scratch = std::aligned_alloc(64, (scratch_bytes + 64) / 64 * 64);
  std::vector<const void*> inputs;
  for (const TensorDesc& d : layer.inputs) inputs.push_back(d.is_constant() ? d.tensor->data.data() : nullptr);
  inputs[0] = x.data();
  void* outputs[] = {y.data()};
  const KernelIo io{inputs.data(), outputs, scratch};
  for (auto _ : state) {
    (*kernel)->run(io, nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  std::free(scratch);
  state.SetLabel((*kernel)->name());
  const double macs = static_cast<double>(xs[1] * ys[1] * ys[2] * ys[3]);
  state.counters["dense_GMAC/s"] = benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

KernelContext context_of(const Layer& layer) {
  KernelContext context{*layer.graph, layer.graph->nodes[0], layer.inputs, layer.outputs, 1};
  return context;
}

// args: shape index, sparsity percent.
template <bool kInt8>
void BM_Sparse(benchmark::State& state) {
  const auto* s = kShapes[state.range(0)];
  const Layer layer = make_layer(s[0], s[1], s[2], static_cast<int>(state.range(1)), kInt8);
  const KernelContext context = context_of(layer);
  const auto kernel = kInt8 ? sparse::create_s8(context, 0.0) : sparse::create_f32(context, 0.0);
  time_kernel(state, layer, kernel, kInt8);
}

// The dense kernel of the default backends (the first after "sparse" that accepts the layer).
template <bool kInt8>
void BM_Dense(benchmark::State& state) {
  const auto* s = kShapes[state.range(0)];
  const Layer layer = make_layer(s[0], s[1], s[2], 0, kInt8);
  const KernelContext context = context_of(layer);
  Result<std::unique_ptr<Kernel>> kernel = unsupported("no backend");
  for (const std::string& name : builtin_backend_names()) {
    if (name == "sparse") continue;
    kernel = find_builtin_backend(name)->create_kernel(context);
    if (kernel.ok()) break;
  }
  time_kernel(state, layer, kernel, kInt8);
}

void sparse_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "sparsity"});
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kShapes)); ++i) {
    for (int s : kSparsities) b->Args({i, s});
  }
}
void dense_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape"});
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kShapes)); ++i) b->Args({i});
}

BENCHMARK_TEMPLATE(BM_Dense, false)->Apply(dense_args)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_Sparse, false)->Apply(sparse_args)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_Dense, true)->Apply(dense_args)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_Sparse, true)->Apply(sparse_args)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gramlite::runtime

BENCHMARK_MAIN();
