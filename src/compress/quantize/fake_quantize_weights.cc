// The weight-only simulation of int8: what equalization and bias correction are measured with.
#include <set>

#include "gramlite/compress/equalization.h"
#include "layer_weights.h"

namespace gramlite::compress {

Result<ir::Graph> fake_quantize_weights(const ir::Graph& prepared, const Int8Options& options) {
  ir::Graph graph = prepared;
  const std::set<std::string> keep_float(options.keep_float.begin(), options.keep_float.end());
  std::set<ir::TensorId> done;  // a weight two layers share is quantized once
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (!detail::is_editable_weight_layer(graph, node) || keep_float.count(node.name) > 0) continue;
    if (!done.insert(node.inputs[1]).second) continue;
    GRAMLITE_ASSIGN_OR_RETURN(detail::LayerWeights layer, detail::load_layer_weights(graph, static_cast<int>(n)));
    layer.weight = detail::quantize_dequantize_weight(layer, options);
    GRAMLITE_RETURN_IF_ERROR(detail::store_layer_weights(graph, layer));
  }
  return graph;
}

}  // namespace gramlite::compress
