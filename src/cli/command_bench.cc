#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/stats.h"
#include "gramlite/runtime/benchmark.h"
#include "gramlite/runtime/backend.h"
#include "gramlite/runtime/session.h"
#include "gramlite/base/thread_pool.h"

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
  bool fp16 = false;
  bool profile = false;
  std::string backends;  // comma-separated; empty: the default list
};

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

// "portable,reference" -> {"portable", "reference"}; empty names are an error.
Result<std::vector<std::string>> parse_backend_list(const std::string& text) {
  std::vector<std::string> names;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(',', begin);
    std::string name = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (name.empty()) return invalid_argument("--backend: empty backend name in '", text, "'");
    names.push_back(std::move(name));
    if (end == std::string::npos) return names;
    begin = end + 1;
  }
}

void print_profile(const std::vector<runtime::NodeProfile>& profile, int runs) {
  size_t node_width = 4, op_width = 2, backend_width = 7, kernel_width = 6;
  for (const runtime::NodeProfile& p : profile) {
    node_width = std::max(node_width, p.node.size());
    op_width = std::max(op_width, std::string(ir::op_kind_name(p.op)).size());
    backend_width = std::max(backend_width, p.backend.size());
    kernel_width = std::max(kernel_width, p.kernel.size());
  }
  std::cout << "profile:   per node, median of " << runs << " runs, slowest first (layout*: the node's time "
               "includes converting an input's layout)\n";
  std::cout << std::left << std::setw(static_cast<int>(node_width)) << "node" << "  "
            << std::setw(static_cast<int>(op_width)) << "op" << "  " << std::setw(static_cast<int>(backend_width))
            << "backend" << "  " << std::setw(static_cast<int>(kernel_width)) << "kernel" << "  " << "layout"
            << "  " << std::right << std::setw(10) << "median ms" << "  " << std::setw(6) << "share" << "\n";
  for (const runtime::NodeProfile& p : profile) {
    std::cout << std::left << std::setw(static_cast<int>(node_width)) << p.node << "  "
              << std::setw(static_cast<int>(op_width)) << ir::op_kind_name(p.op) << "  "
              << std::setw(static_cast<int>(backend_width)) << p.backend << "  "
              << std::setw(static_cast<int>(kernel_width)) << p.kernel << "  " << std::setw(6)
              << (p.conversions > 0 ? p.layout + "*" : p.layout) << "  " << std::right << std::setw(10)
              << std::setprecision(3) << p.median_ms << "  " << std::setw(5) << std::setprecision(1)
              << p.share * 100.0 << "%\n";
  }
}

int bench_model(const BenchFlags& flags) {
  runtime::SessionOptions options;
  if (!flags.backends.empty()) {
    auto names = parse_backend_list(flags.backends);
    if (!names.ok()) return report_error(names.status());
    options.backends = std::move(names).value();
    for (const std::string& name : options.backends) {
      if (runtime::find_builtin_backend(name) == nullptr) {
        return report_error(invalid_argument("--backend: unknown backend '", name, "' (known: ",
                                             join(runtime::builtin_backend_names(), ", "), ")"));
      }
    }
  }
  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  gramlite::ThreadPool pool(flags.threads);
  options.pool = &pool;
  options.optimize = !flags.no_optimize;
  options.profile = flags.profile;
  options.fp16_arithmetic = flags.fp16;
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
  // Multiply-accumulates the run performs (the graph as loaded, per image, times the batch) per second.
  double gmacs = 0;
  if (auto costs = ir::node_costs(*graph); costs.ok() && r.median_ms > 0) {
    int64_t macs = 0;
    for (const ir::NodeCost& cost : *costs) macs += cost.macs;
    gmacs = static_cast<double>(macs) * static_cast<double>(r.batch) / (r.median_ms * 1e6);
  }
  std::vector<std::string> backend_names;
  for (const runtime::Backend* backend : (*session)->backends()) backend_names.push_back(backend->name());
  int convolutions = 0, fp16_convolutions = 0;  // what --fp16 achieved on this CPU
  for (const runtime::NodePlan& plan : (*session)->node_plans()) {
    if (plan.op != ir::OpKind::kConv2d) continue;
    ++convolutions;
    fp16_convolutions += plan.kernel.find("_f16") != std::string::npos;
  }
  const std::string backends = join(backend_names, ",");
  if (flags.json) {
    nlohmann::json j = {{"model", flags.model},         {"architecture", graph->metadata.architecture},
                        {"backend", backends},          {"threads", r.threads},
                        {"batch", r.batch},             {"warmup_runs", flags.warmup},
                        {"runs", flags.runs},           {"median_ms", r.median_ms},
                        {"p90_ms", r.p90_ms},           {"mean_ms", r.mean_ms},
                        {"min_ms", r.min_ms},           {"max_ms", r.max_ms},
                        {"images_per_second", r.images_per_second}, {"gmac_per_second", gmacs},
                        {"arena_bytes", r.arena_bytes}, {"unshared_bytes", r.unshared_bytes},
                        {"weight_bytes", r.weight_bytes},
                        {"peak_rss_bytes", r.peak_rss_bytes}, {"run_ms", r.run_ms}};
    j["backends"] = backend_names;
    if (flags.fp16) j["fp16_convolutions"] = fp16_convolutions;
    if (flags.profile) {
      nlohmann::json nodes = nlohmann::json::array();
      for (const runtime::NodeProfile& p : r.profile) {
        nodes.push_back({{"node", p.node},
                         {"op", ir::op_kind_name(p.op)},
                         {"backend", p.backend},
                         {"kernel", p.kernel},
                         {"layout", p.layout},
                         {"layout_conversions", p.conversions},
                         {"median_ms", p.median_ms},
                         {"share", p.share}});
      }
      j["profile"] = std::move(nodes);
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(2);
  std::cout << "model:     " << flags.model << " (" << graph->metadata.architecture << ")\n"
            << "backend:   " << backends << ", " << r.threads << " thread" << (r.threads == 1 ? "" : "s") << ", batch "
            << r.batch << ", " << flags.warmup << " warm-up + " << flags.runs << " timed runs\n"
            << "latency:   median " << r.median_ms << " ms, p90 " << r.p90_ms << " ms (min " << r.min_ms << ", max "
            << r.max_ms << ")\n"
            << "throughput: " << r.images_per_second << " images/s, " << gmacs << " GMAC/s\n"
            << "memory:    activations arena " << human_bytes(r.arena_bytes) << " (without buffer reuse "
            << human_bytes(r.unshared_bytes) << "), weights "
            << human_bytes(r.weight_bytes) << ", process peak RSS " << human_bytes(r.peak_rss_bytes) << "\n";
  if (flags.fp16) {
    std::cout << "fp16:      " << fp16_convolutions << " of " << convolutions << " convolutions compute in fp16"
              << (fp16_convolutions == 0 ? " (this CPU has no fp16 arithmetic, or no backend here uses it)" : "")
              << "\n";
  }
  if (flags.profile) print_profile(r.profile, flags.runs);
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
  cmd->add_flag("--fp16", flags->fp16,
                "Let float32 convolutions compute in fp16 where the CPU has fp16 arithmetic (ARMv8.2-A); "
                "says how many did");
  cmd->add_flag("--profile", flags->profile,
                "Time every node: node, op, backend, kernel, median time and share, slowest first");
  cmd->add_option("--backend", flags->backends,
                  "Backends to try per node, in order, comma-separated (sparse, onednn and xnnpack where built, "
                  "portable, reference; default: all, in that order); reference is always the last fallback")
      ->type_name("NAME[,NAME]");
  cmd->callback([flags, &exit_code] { exit_code = bench_model(*flags); });
}

}  // namespace gramlite::cli
