// Rewrites and weight conversions the quantizers share (prepare, int8, dynamic range).
#pragma once

#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress::internal {

// Whether `activation` needs a lookup table in int8 (it is not a clamp).
bool is_table_activation(ir::Activation activation);

// The tensor a split node writes before its activation: "<node name>.pre_activation".
std::string pre_activation_name(const ir::Node& node);

// Every node with a fused HardSwish / HardSigmoid / Sigmoid becomes the node without it, writing
// pre_activation_name(node), followed by a standalone activation node named "<node>.<activation>"
// that writes the original output tensor (so names seen downstream are unchanged). Returns the
// number of nodes split; the graph stays in topological order.
int split_table_activations(ir::Graph& graph);

// The float32 values of a dense constant.
std::vector<float> float_values(const ir::Tensor& tensor);

// A weight tensor (axis 0 = output channels) quantized symmetrically to int8 in
// [-(2^(bits-1) - 1), 2^(bits-1) - 1]: one scale per output channel (max|w[c]| / qmax), or one
// for the whole tensor when `per_tensor`. Name and shape are kept.
ir::Tensor quantize_weight(const ir::Tensor& weight, bool per_tensor, int bits);

// Whether `id` is a dense float32 constant without quantization.
bool is_float_constant(const ir::Graph& graph, ir::TensorId id);

// How many node inputs read `id`.
size_t use_count(const ir::Graph& graph, ir::TensorId id);

}  // namespace gramlite::compress::internal
