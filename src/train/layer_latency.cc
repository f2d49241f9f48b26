#include "train/layer_latency.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "gramlite/base/atomic_file.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/ir/stats.h"
#include "gramlite/runtime/benchmark.h"
#include "gramlite/runtime/session.h"

namespace gramlite::train {
namespace {

using json = nlohmann::json;

struct Profiled {
  double ms = 0;
  int64_t macs = 0;
};

Result<std::map<std::string, Profiled>> profile(const ir::Graph& model, int runs) {
  runtime::SessionOptions options;
  options.profile = true;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                            runtime::Session::create(std::make_shared<const ir::Graph>(model), options));
  GRAMLITE_RETURN_IF_ERROR(session->prepare(1));
  runtime::BenchmarkOptions bench;
  bench.timed_runs = runs;
  GRAMLITE_ASSIGN_OR_RETURN(const runtime::BenchmarkResult result, runtime::benchmark_session(*session, bench));
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs, ir::node_costs(model));
  std::map<std::string, int64_t> macs;
  for (size_t n = 0; n < model.nodes.size(); ++n) macs[model.nodes[n].name] = costs[n].macs;
  std::map<std::string, Profiled> layers;
  for (const runtime::NodeProfile& node : result.profile) {
    const auto it = macs.find(node.node);
    layers[node.node] = Profiled{node.median_ms, it == macs.end() ? 0 : it->second};
  }
  return layers;
}

// Every prunable group cut to about half its channels (a multiple of 8 from 16 on, the lowest
// indices kept: the values do not matter for the time).
Result<ir::Graph> thinned(const ir::Graph& model) {
  GRAMLITE_ASSIGN_OR_RETURN(const compress::ChannelGroups groups, compress::find_channel_groups(model));
  compress::ChannelPruningPlan plan;
  plan.removed.resize(groups.groups.size());
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const compress::ChannelGroup& group = groups.groups[g];
    if (!group.prunable || group.channels < 2) continue;
    const int64_t half = group.channels / 2;
    const int64_t keep = half >= 8 ? half / 8 * 8 : half;
    for (int64_t c = keep; c < group.channels; ++c) plan.removed[g].push_back(c);
  }
  GRAMLITE_ASSIGN_OR_RETURN(compress::PrunedGraph cut, compress::apply_channel_pruning(model, groups, plan));
  return std::move(cut.graph);
}

}  // namespace

Result<LayerLatencies> profile_layer_latency(const ir::Graph& model, int runs) {
  if (runs < 1) return invalid_argument("the latency profile needs at least 1 run, got ", runs);
  GRAMLITE_ASSIGN_OR_RETURN(const auto whole, profile(model, runs));
  GRAMLITE_ASSIGN_OR_RETURN(const ir::Graph thin_model, thinned(model));
  GRAMLITE_ASSIGN_OR_RETURN(const auto thin, profile(thin_model, runs));
  LayerLatencies latencies;
  for (const auto& [name, layer] : whole) {
    LayerLatency fit{layer.ms, 0.0, layer.macs};
    const auto it = thin.find(name);
    if (it != thin.end() && layer.macs > 0) {
      const double f = static_cast<double>(it->second.macs) / static_cast<double>(layer.macs);
      // Only a layer that lost a good share of its MACs tells its fixed part apart.
      if (f < 0.9) {
        const double slope = (layer.ms - it->second.ms) / (1.0 - f);
        fit.fixed_ms = std::clamp(layer.ms - slope, 0.0, layer.ms);
      }
    }
    latencies[name] = fit;
  }
  return latencies;
}

Status save_layer_latency(const std::string& path, const LayerLatencies& latencies) {
  json out = json::object();
  for (const auto& [name, layer] : latencies) {
    out[name] = {{"ms", layer.ms}, {"fixed_ms", layer.fixed_ms}, {"macs", layer.macs}};
  }
  return write_text_file_atomically(path, out.dump(1) + "\n");
}

Result<LayerLatencies> load_layer_latency(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return not_found("cannot read '", path, "'");
  std::stringstream text;
  text << file.rdbuf();
  LayerLatencies latencies;
  try {
    const json in = json::parse(text.str());
    if (!in.is_object()) return corrupt_data("'", path, "' is not a JSON object of layers");
    for (const auto& [name, layer] : in.items()) {
      LayerLatency l{layer.at("ms").get<double>(), layer.at("fixed_ms").get<double>(), layer.at("macs").get<int64_t>()};
      if (!(l.ms >= 0 && l.fixed_ms >= 0 && l.fixed_ms <= l.ms) || l.macs < 0) {
        return corrupt_data("'", path, "': layer '", name, "' has figures out of range");
      }
      latencies[name] = l;
    }
  } catch (const json::exception& e) {
    return corrupt_data("'", path, "': ", e.what());
  }
  return latencies;
}

double NodeLatencies::total() const {
  double sum = 0;
  for (const double t : time) sum += t;
  return sum;
}

Result<NodeLatencies> scaled_node_latency(const ir::Graph& graph, const LayerLatencies& base) {
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs, ir::node_costs(graph));
  NodeLatencies latency;
  latency.time.assign(graph.nodes.size(), 0.0);
  latency.fixed.assign(graph.nodes.size(), 0.0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const auto it = base.find(graph.nodes[n].name);
    if (it == base.end()) continue;
    const LayerLatency& then = it->second;
    const double f = then.macs > 0 ? static_cast<double>(costs[n].macs) / static_cast<double>(then.macs) : 1.0;
    latency.time[n] = then.fixed_ms + (then.ms - then.fixed_ms) * f;
    latency.fixed[n] = std::min(then.fixed_ms, latency.time[n]);
  }
  return latency;
}

}  // namespace gramlite::train
