#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "format/model_file.h"
#include "runtime/benchmark.h"
#include "runtime/session.h"
#include "base/thread_pool.h"

namespace gramlite::cli {
namespace {

struct BenchFlags {
  std::string model;
  int threads = 1;
  int batch = 1;
  int warmup = 5;
  int runs = 30;
  bool json = false;
  bool no_optimize = false;
};

int bench_model(const BenchFlags& flags) {
  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  gramlite::ThreadPool pool(flags.threads);
  runtime::SessionOptions options;
  options.pool = &pool;
  options.optimize = !flags.no_optimize;
  auto session = runtime::Session::create(graph, options);
  if (!session.ok()) return report_error(session.status().with_context(flags.model));
  if (Status s = (*session)->prepare(flags.batch); !s.ok()) return report_error(s.with_context(flags.model));

  runtime::BenchmarkOptions bench;
  bench.warmup_runs = flags.warmup;
  bench.timed_runs = flags.runs;
  Progress progress("bench " + flags.model, flags.warmup + flags.runs, !flags.json);
  bench.on_progress = [&progress](int done, int) { progress.update(done); };
  auto result = runtime::benchmark_session(**session, bench);
  progress.finish();
  if (!result.ok()) return report_error(result.status());
  const runtime::BenchmarkResult& r = *result;
  if (flags.json) {
    nlohmann::json j = {{"model", flags.model},         {"architecture", graph->metadata.architecture},
                        {"backend", "reference"},       {"threads", r.threads},
                        {"batch", r.batch},             {"warmup_runs", flags.warmup},
                        {"runs", flags.runs},           {"median_ms", r.median_ms},
                        {"p90_ms", r.p90_ms},           {"mean_ms", r.mean_ms},
                        {"min_ms", r.min_ms},           {"max_ms", r.max_ms},
                        {"images_per_second", r.images_per_second},
                        {"arena_bytes", r.arena_bytes}, {"unshared_bytes", r.unshared_bytes},
                        {"weight_bytes", r.weight_bytes},
                        {"peak_rss_bytes", r.peak_rss_bytes}, {"run_ms", r.run_ms}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(2);
  std::cout << "model:     " << flags.model << " (" << graph->metadata.architecture << ")\n"
            << "backend:   reference, " << r.threads << " thread" << (r.threads == 1 ? "" : "s") << ", batch "
            << r.batch << ", " << flags.warmup << " warm-up + " << flags.runs << " timed runs\n"
            << "latency:   median " << r.median_ms << " ms, p90 " << r.p90_ms << " ms (min " << r.min_ms << ", max "
            << r.max_ms << ")\n"
            << "throughput: " << r.images_per_second << " images/s\n"
            << "memory:    activations arena " << human_bytes(r.arena_bytes) << " (without buffer reuse "
            << human_bytes(r.unshared_bytes) << "), weights "
            << human_bytes(r.weight_bytes) << ", process peak RSS " << human_bytes(r.peak_rss_bytes) << "\n";
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure a model's latency (median, p90) and memory");
  cmd->add_option("FILE", flags->model, "Model file")->required();
  cmd->add_option("--threads", flags->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->add_option("--batch", flags->batch, "Batch size")->check(CLI::Range(1, 4096));
  cmd->add_option("--warmup", flags->warmup, "Warm-up runs (not timed)")->check(non_negative_number());
  cmd->add_option("--runs", flags->runs, "Timed runs")->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->add_flag("--no-optimize", flags->no_optimize, "Skip batch-norm folding and activation fusion");
  cmd->callback([flags, &exit_code] { exit_code = bench_model(*flags); });
}

}  // namespace gramlite::cli
