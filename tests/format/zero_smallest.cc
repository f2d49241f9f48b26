#include "zero_smallest.h"

#include "gramlite/compress/pruning.h"

namespace gramlite::format::testing {

int64_t zero_smallest_weights(ir::Graph& graph, double fraction) {
  int64_t zeroed = 0;
  for (const ir::Node& node : graph.nodes) {
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
    if (node.inputs.size() < 2 || !graph.is_valid_tensor_id(node.inputs[1])) continue;
    zeroed += compress::prune_weight_once(graph.tensor(node.inputs[1]), fraction, {});
  }
  return zeroed;
}

}  // namespace gramlite::format::testing
