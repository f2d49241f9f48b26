#include "train/layer_latency.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gramlite/ir/stats.h"
#include "gramlite/runtime/benchmark.h"
#include "gramlite/runtime/session.h"

namespace gramlite::train {

using json = nlohmann::json;

Result<LayerLatencies> profile_layer_latency(const ir::Graph& model, int runs) {
  if (runs < 1) return invalid_argument("the latency profile needs at least 1 run, got ", runs);
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
  LayerLatencies latencies;
  for (const runtime::NodeProfile& node : result.profile) {
    const auto it = macs.find(node.node);
    latencies[node.node] = LayerLatency{node.median_ms, it == macs.end() ? 0 : it->second};
  }
  return latencies;
}

Status save_layer_latency(const std::string& path, const LayerLatencies& latencies) {
  json out = json::object();
  for (const auto& [name, layer] : latencies) out[name] = {{"ms", layer.ms}, {"macs", layer.macs}};
  const std::string partial = path + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file << out.dump(1) << "\n";
    if (!file) return io_error("cannot write '", partial, "'");
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) return io_error("cannot rename '", partial, "' to '", path, "'");
  return Status::Ok();
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
      const double ms = layer.at("ms").get<double>();
      const int64_t macs = layer.at("macs").get<int64_t>();
      if (!(ms >= 0) || macs < 0) return corrupt_data("'", path, "': layer '", name, "' has a negative figure");
      latencies[name] = LayerLatency{ms, macs};
    }
  } catch (const json::exception& e) {
    return corrupt_data("'", path, "': ", e.what());
  }
  return latencies;
}

Result<std::vector<double>> scaled_node_latency(const ir::Graph& graph, const LayerLatencies& base) {
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<ir::NodeCost> costs, ir::node_costs(graph));
  std::vector<double> latency(graph.nodes.size(), 0.0);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const auto it = base.find(graph.nodes[n].name);
    if (it == base.end()) continue;
    const LayerLatency& then = it->second;
    latency[n] = then.macs > 0 ? then.ms * static_cast<double>(costs[n].macs) / static_cast<double>(then.macs) : then.ms;
  }
  return latency;
}

double total_ms(const LayerLatencies& latencies) {
  double total = 0;
  for (const auto& [name, layer] : latencies) total += layer.ms;
  return total;
}

}  // namespace gramlite::train
