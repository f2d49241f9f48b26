// Zeros the smallest weights of every 1x1 convolution of a model file, for the sparse kernels'
// whole-model benchmarks (docs/runtime.md, "Sparse kernels"). Not pruning (no fine-tuning: that is
// `gramlite prune`): a quick way to make a model with the sparsity pattern a pruned one has.
//
//   make_sparse_model IN.gml OUT.gml [SPARSITY=0.9] [--block]
//
// Per 1x1 Conv2d (groups 1), the SPARSITY fraction of its weights with the smallest magnitude are
// set to 0 (TF-MOT's mask, one shot: compress::prune_weight_once); with --block, the fraction of
// its 1x4 blocks (one output channel, 4 consecutive input channels), the int8 kernels' unit.
// Float32 weights only (quantize afterwards: zeros stay zeros).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gramlite/compress/pruning.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/graph.h"

int main(int argc, char** argv) {
  using namespace gramlite;
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_sparse_model IN.gml OUT.gml [SPARSITY=0.9] [--block]\n");
    return 2;
  }
  double fraction = 0.9;
  bool block = false;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--block") {
      block = true;
    } else {
      fraction = std::atof(arg.c_str());
    }
  }
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    std::fprintf(stderr, "make_sparse_model: error: sparsity must be in [0, 1]\n");
    return 2;
  }
  auto model = format::load_model(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "make_sparse_model: error: %s\n", model.status().message().c_str());
    return 3;
  }
  ir::Graph& g = *model;
  int layers = 0;
  for (const ir::Node& node : g.nodes) {
    if (node.kind != ir::OpKind::kConv2d) continue;
    const auto& a = node.attr<ir::Conv2dAttrs>();
    if (a.kernel_h != 1 || a.kernel_w != 1 || a.groups != 1) continue;
    ir::Tensor& t = g.tensor(node.inputs[1]);
    if (t.dtype != ir::DType::kFloat32 || !t.is_constant() || t.shape.size() != 4) continue;
    compress::prune_weight_once(t, fraction, block ? compress::PruningBlock{1, 4} : compress::PruningBlock{});
    ++layers;
  }
  const Status saved = format::save_model(g, argv[2]);
  if (!saved.ok()) {
    std::fprintf(stderr, "make_sparse_model: error: %s\n", saved.message().c_str());
    return 1;
  }
  std::printf("%s: %d 1x1 convolutions with %.0f %% of their %s zeroed\n", argv[2], layers, fraction * 100,
              block ? "1x4 blocks" : "weights");
  return 0;
}
