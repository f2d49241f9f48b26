// Writes a zoo model and its structurally pruned twin as model files, for `gramlite bench` to time
// side by side, and prints what the pruning removed (MACs, parameters, per group).
//
//   build/bench/channel_prune_model ARCH SIZE RATIO DENSE_OUT PRUNED_OUT [CRITERION] [macs|parameters]
//   build/bench/channel_prune_model resnet50 224 0.5 /tmp/r50.gramlite /tmp/r50.pruned.gramlite
//   gramlite bench /tmp/r50.gramlite --threads 1 && gramlite bench /tmp/r50.pruned.gramlite --threads 1
//
// Random (seeded) zoo weights with random batch-norm scales: speed does not depend on the values,
// and the criteria need some spread to rank channels. 1000 classes, as the ImageNet models.
// PRINT_GROUPS=1 in the environment also prints every dependency group (channel_groups_table).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "gramlite/compress/channel_pruning.h"
#include "gramlite/format/model_file.h"
#include "gramlite/zoo/zoo.h"

namespace {

using namespace gramlite;

void randomize_batch_norm_scales(ir::Graph& graph) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(0.2f, 1.5f);
  for (const ir::Node& node : graph.nodes) {
    if (node.kind != ir::OpKind::kBatchNorm) continue;
    ir::Tensor& gamma = graph.tensor(node.inputs[1]);
    std::vector<float> v(static_cast<size_t>(gamma.element_count()));
    for (float& x : v) x = dist(rng);
    gamma.data = Buffer::copy_of(v.data(), v.size() * sizeof(float));
  }
}

int fail(const Status& status) {
  std::fprintf(stderr, "channel_prune_model: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: %s ARCH SIZE RATIO DENSE_OUT PRUNED_OUT [l1|l2|bn] [macs|parameters]\n", argv[0]);
    return 2;
  }
  zoo::BuildOptions build;
  build.input_size = std::atoi(argv[2]);
  build.include_softmax = false;
  build.seed = 1;
  Result<ir::Graph> graph = zoo::build(argv[1], build);
  if (!graph.ok()) return fail(graph.status());
  randomize_batch_norm_scales(graph.value());

  Result<compress::ChannelGroups> groups = compress::find_channel_groups(*graph);
  if (!groups.ok()) return fail(groups.status());
  size_t prunable = 0;
  for (const compress::ChannelGroup& g : groups->groups) prunable += g.prunable ? 1 : 0;
  if (std::getenv("PRINT_GROUPS") != nullptr) std::printf("%s", compress::channel_groups_table(*groups).c_str());

  Result<compress::ChannelImportance> importance = compress::channel_importance(argc > 6 ? argv[6] : "l1");
  if (!importance.ok()) return fail(importance.status());
  compress::ChannelPruningOptions options;
  options.ratio = std::atof(argv[3]);
  if (argc > 7 && std::string(argv[7]) == "parameters") options.target = compress::PruningTarget::kParameters;
  Result<compress::PrunedGraph> pruned = compress::prune_channels(*graph, *importance, options);
  if (!pruned.ok()) return fail(pruned.status());

  if (Status s = format::save_model(*graph, argv[4]); !s.ok()) return fail(s);
  if (Status s = format::save_model(pruned->graph, argv[5]); !s.ok()) return fail(s);
  std::printf("%s %dpx: %zu channel groups, %zu prunable; ratio %s of %s:\n%s", argv[1], build.input_size,
              groups->groups.size(), prunable, argv[3],
              options.target == compress::PruningTarget::kMacs ? "MACs" : "parameters",
              compress::channel_pruning_table(pruned->report).c_str());
  return 0;
}
