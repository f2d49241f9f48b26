#include "gramlite/runtime/benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>

namespace gramlite::runtime {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = (static_cast<double>(values.size()) - 1.0) * std::clamp(p, 0.0, 100.0) / 100.0;
  const auto low = static_cast<size_t>(rank);
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

int64_t peak_resident_bytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

Result<BenchmarkResult> benchmark_session(Session& session, const BenchmarkOptions& options) {
  if (!session.is_prepared()) return invalid_argument("benchmark: the session is not prepared");
  if (options.warmup_runs < 0 || options.timed_runs < 1) {
    return invalid_argument("benchmark: needs >= 0 warm-up runs and >= 1 timed run");
  }
  // Inputs: uniform in [-1, 1) from a fixed seed (splitmix64), so every run sees the same data.
  uint64_t state = options.input_seed;
  const auto next_uniform = [&state] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(static_cast<double>(z >> 40) / static_cast<double>(1ull << 24) * 2.0 - 1.0);
  };
  std::vector<std::vector<float>> inputs;
  std::vector<const float*> input_ptrs;
  for (const ir::Shape& shape : session.input_shapes()) {
    inputs.emplace_back(static_cast<size_t>(ir::element_count(shape)));
    for (float& v : inputs.back()) v = next_uniform();
    input_ptrs.push_back(inputs.back().data());
  }
  std::vector<std::vector<float>> outputs;
  std::vector<float*> output_ptrs;
  for (const ir::Shape& shape : session.output_shapes()) {
    outputs.emplace_back(static_cast<size_t>(ir::element_count(shape)));
    output_ptrs.push_back(outputs.back().data());
  }

  BenchmarkResult result;
  result.batch = session.batch();
  result.threads = session.thread_count();
  const int total = options.warmup_runs + options.timed_runs;
  std::vector<std::vector<double>> node_ms(session.profiling() ? session.node_plans().size() : 0);
  for (int i = 0; i < total; ++i) {
    const auto start = std::chrono::steady_clock::now();
    GRAMLITE_RETURN_IF_ERROR(session.run(input_ptrs, output_ptrs));
    const auto stop = std::chrono::steady_clock::now();
    if (i >= options.warmup_runs) {
      result.run_ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
      for (size_t n = 0; n < node_ms.size() && n < session.node_seconds().size(); ++n) {
        node_ms[n].push_back(session.node_seconds()[n] * 1000.0);
      }
    }
    if (options.on_progress) options.on_progress(i + 1, total);
  }
  double node_total_ms = 0;
  for (size_t n = 0; n < node_ms.size(); ++n) {
    const NodePlan& plan = session.node_plans()[n];
    result.profile.push_back(
        {plan.node, plan.op, plan.backend, plan.kernel, plan.layout, plan.conversions, percentile(node_ms[n], 50), 0.0});
    node_total_ms += result.profile.back().median_ms;
  }
  for (NodeProfile& node : result.profile) node.share = node_total_ms > 0 ? node.median_ms / node_total_ms : 0.0;
  std::stable_sort(result.profile.begin(), result.profile.end(),
                   [](const NodeProfile& a, const NodeProfile& b) { return a.median_ms > b.median_ms; });
  result.median_ms = percentile(result.run_ms, 50);
  result.p90_ms = percentile(result.run_ms, 90);
  result.mean_ms = std::accumulate(result.run_ms.begin(), result.run_ms.end(), 0.0) / static_cast<double>(result.run_ms.size());
  result.min_ms = *std::min_element(result.run_ms.begin(), result.run_ms.end());
  result.max_ms = *std::max_element(result.run_ms.begin(), result.run_ms.end());
  result.images_per_second = result.median_ms > 0 ? static_cast<double>(result.batch) * 1000.0 / result.median_ms : 0;
  result.arena_bytes = static_cast<int64_t>(session.arena_bytes());
  result.unshared_bytes = static_cast<int64_t>(session.unshared_bytes());
  result.weight_bytes = static_cast<int64_t>(session.weight_bytes());
  result.peak_rss_bytes = peak_resident_bytes();
  return result;
}

}  // namespace gramlite::runtime
