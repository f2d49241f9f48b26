// Latency measurement of a prepared Session, the way `gramlite bench` reports it: warm-up runs,
// then timed runs, median and p90, plus memory. Shared by the CLI and the C++ API so that both
// measure the same thing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/runtime/session.h"

namespace gramlite::runtime {

struct BenchmarkOptions {
  int warmup_runs = 5;
  int timed_runs = 30;
  uint64_t input_seed = 1;  // inputs are uniform random in [-1, 1) from this seed
  // Called after every run (warm-up and timed) with (runs done, runs in all); may be empty.
  std::function<void(int, int)> on_progress;
};

// One node's share of a profiled benchmark (session created with SessionOptions::profile).
struct NodeProfile {
  std::string node;
  ir::OpKind op = ir::OpKind::kConv2d;
  std::string backend;
  std::string kernel;
  std::string layout;    // "nchw" or "nhwc" (kernel.h, Layout)
  int conversions = 0;   // layout conversions of its inputs, timed with it
  double median_ms = 0;  // median over the timed runs
  double share = 0;      // median_ms / the sum of every node's median_ms
};

struct BenchmarkResult {
  int64_t batch = 0;
  int threads = 1;
  std::vector<double> run_ms;  // each timed run, in order
  double median_ms = 0;
  double p90_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double images_per_second = 0;      // batch / median
  int64_t arena_bytes = 0;           // activation memory the session planned
  int64_t unshared_bytes = 0;        // what the arena would need if no buffer were reused
  int64_t weight_bytes = 0;          // constant data the session reads
  int64_t peak_rss_bytes = 0;        // the process's peak resident set size after the runs
  // Per node, slowest first; empty unless the session profiles (SessionOptions::profile).
  std::vector<NodeProfile> profile;
};

// The p-th percentile (0..100) of `values` with linear interpolation between ranks.
double percentile(std::vector<double> values, double p);

// Runs `session` (already prepared) and measures it. Errors if a run fails.
Result<BenchmarkResult> benchmark_session(Session& session, const BenchmarkOptions& options);

// The process's peak resident set size in bytes (getrusage), 0 where unknown.
int64_t peak_resident_bytes();

}  // namespace gramlite::runtime
