#include <set>

#include "gramlite/compress/pruning.h"
#include "gramlite/ir/stats.h"
#include "gramlite/ir/validate.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::compress {

Result<std::vector<PrunableWeight>> find_prunable_weights(const ir::Graph& graph, const PrunableOptions& options) {
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph));
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::NodeCost> costs, ir::node_costs(graph));
  const std::set<std::string> skip(options.skip.begin(), options.skip.end());
  std::set<std::string> skip_found;
  std::vector<PrunableWeight> found;
  bool first_convolution_seen = false;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
    if (node.inputs.size() < 2 || !graph.is_valid_tensor_id(node.inputs[1])) continue;
    const ir::Tensor& weight = graph.tensor(node.inputs[1]);
    if (!weight.is_constant()) continue;
    const bool first = node.kind == ir::OpKind::kConv2d && !first_convolution_seen;
    if (node.kind == ir::OpKind::kConv2d) first_convolution_seen = true;
    const bool skipped_by_name = skip.count(node.name) > 0 || skip.count(weight.name) > 0;
    if (skip.count(node.name) > 0) skip_found.insert(node.name);
    if (skip.count(weight.name) > 0) skip_found.insert(weight.name);
    if (skipped_by_name) continue;
    if (first && !options.include_first_convolution) continue;
    if (ir::is_depthwise_convolution(graph, node) && !options.include_depthwise) continue;
    if (weight.dtype != ir::DType::kFloat32) {
      return invalid_argument("weight '", weight.name, "' of node '", node.name, "' is ", ir::dtype_name(weight.dtype),
                              ": pruning works on float32 models (prune first, quantize after)");
    }
    PrunableWeight w;
    w.node = node.name;
    w.tensor = weight.name;
    w.shape = weight.shape;
    w.elements = weight.element_count();
    w.macs = costs[n].macs;
    found.push_back(std::move(w));
  }
  for (const std::string& name : skip) {
    if (skip_found.count(name) == 0) {
      return invalid_argument("'", name, "' (to leave dense) is no Conv2d or Linear node or weight of this model");
    }
  }
  if (found.empty()) return invalid_argument("the model has no Conv2d or Linear weight left to prune");
  return found;
}

}  // namespace gramlite::compress
