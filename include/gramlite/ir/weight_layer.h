// Weight layers: the unit that fine-tuning freezes, pruning shrinks, QAT quantizes and folding
// merges. A weight layer is one Conv2d or Linear node (a depthwise convolution is one, like any
// other convolution) together with the BatchNorm that directly follows it, if any: a BatchNorm
// that is the only reader of the layer's output.
#pragma once

#include <vector>

#include "gramlite/ir/graph.h"

namespace gramlite::ir {

struct WeightLayer {
  int node = -1;        // index into Graph::nodes of the Conv2d / Linear node
  int batch_norm = -1;  // index of the BatchNorm right after it, or -1
};

// Whether nodes of `kind` are the weight of a weight layer (their channel rule reads a weight).
bool is_weight_layer_kind(OpKind kind);
// A Conv2d with one input channel per group and groups > 1 (channel multiplier m = out / groups).
bool is_depthwise_convolution(const Graph& graph, const Node& node);

// The weight layers in Graph::nodes order; in a valid graph (topologically ordered) that is input
// to output. Works on unvalidated graphs too: out-of-range tensor ids are skipped.
std::vector<WeightLayer> find_weight_layers(const Graph& graph);

// The BatchNorms that belong to no weight layer (after an Add or a Concat, or in a graph that
// normalises its input), in node order.
std::vector<int> unattached_batch_norms(const Graph& graph, const std::vector<WeightLayer>& layers);

// The constant inputs of `node` that are trainable parameters (op_traits), in input order.
std::vector<TensorId> trainable_constants(const Graph& graph, const Node& node);
// A layer's trainable parameters: weight, bias (if any), then its BatchNorm's gamma and beta.
std::vector<TensorId> trainable_parameters(const Graph& graph, const WeightLayer& layer);
// A layer's non-trainable buffers: its BatchNorm's running mean and variance.
std::vector<TensorId> buffer_parameters(const Graph& graph, const WeightLayer& layer);

}  // namespace gramlite::ir
