// Counting: parameters, multiply-accumulates, bytes. Used by `gramlite info` and the zoo tests.
#pragma once

#include <cstdint>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::ir {

struct ParameterCount {
  int64_t trainable = 0;      // weights, biases, batch-norm scale and shift
  int64_t non_trainable = 0;  // batch-norm running mean and variance
  int64_t total() const { return trainable + non_trainable; }
};

// Torchvision's count is `trainable` (parameters()); Keras' "Total params" is total().
ParameterCount count_parameters(const Graph& graph);

// Whether constant input `input_index` of a node of `kind` is a non-trainable buffer.
bool is_non_trainable_input(OpKind kind, size_t input_index);

struct NodeCost {
  int64_t macs = 0;        // multiply-accumulates at batch 1
  int64_t parameters = 0;  // elements of constant inputs
  int64_t zero_weights = 0;  // zeros of a Conv2d / Linear weight: float 0 (either sign), int8 0 (sparsity)
};

// Zeros of a constant weight: float32 and float16 values equal to 0 (either sign), int8 stored 0 (a
// weight's zero point is 0, so that is the real 0). Other dtypes, and tensors still held in a
// compact sparse encoding, count none.
int64_t count_zero_weights(const Tensor& tensor);

// Per-node costs at batch 1 (same order as graph.nodes).
Result<std::vector<NodeCost>> node_costs(const Graph& graph);

}  // namespace gramlite::ir
