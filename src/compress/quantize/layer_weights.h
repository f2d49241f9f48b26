// Private to compress/quantize: a Conv2d / Linear node's weight and bias as editable float arrays,
// with the channel geometry equalization and bias correction need. The graph's buffers are
// immutable and may be shared (a memory-mapped file), so edits happen on a copy and store()
// puts fresh buffers back into the graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress::detail {

struct LayerWeights {
  int node = -1;
  ir::TensorId weight_id = ir::kNoTensor;
  ir::TensorId bias_id = ir::kNoTensor;  // kNoTensor: the layer has no bias (yet)
  int64_t out_channels = 0;
  int64_t in_channels = 0;      // input channels of the whole layer (all groups)
  int64_t groups = 1;
  int64_t kernel_size = 1;      // kh * kw (1 for Linear)
  std::vector<float> weight;    // [out, in / groups, kh, kw] row-major
  std::vector<float> bias;      // [out]; zeros when the layer had none

  int64_t in_per_group() const { return in_channels / groups; }
  int64_t out_per_group() const { return out_channels / groups; }
  // Elements of one output channel's filter.
  int64_t filter_size() const { return in_per_group() * kernel_size; }

  float output_channel_range(int64_t out) const;  // max |w[out, ...]|
  float input_channel_range(int64_t in) const;    // max |w| over the weights that read input channel `in`
  void scale_output_channel(int64_t out, float factor);  // weight and bias
  void scale_input_channel(int64_t in, float factor);
};

// Whether `node` is a float32 Conv2d / Linear with a constant float32 weight (and bias, if any).
bool is_editable_weight_layer(const ir::Graph& graph, const ir::Node& node);

// Reads node `node`'s weight and bias. Errors name the node when it is not an editable layer.
Result<LayerWeights> load_layer_weights(const ir::Graph& graph, int node);

// Writes the weight and bias back as new buffers. A layer without a bias gets one when its bias
// is no longer all zeros: a new constant named "<node>.bias" (made unique), its third input.
Status store_layer_weights(ir::Graph& graph, LayerWeights& layer);

// The weight as convert_to_int8 will see it after quantizing and dequantizing: symmetric, per
// output channel (per tensor with options.per_tensor_weights), options.weight_bits.
std::vector<float> quantize_dequantize_weight(const LayerWeights& layer, const Int8Options& options);

// How many nodes read each tensor (graph outputs count as one reader more).
std::vector<int> reader_counts(const ir::Graph& graph);

}  // namespace gramlite::compress::detail
