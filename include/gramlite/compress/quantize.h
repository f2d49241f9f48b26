// Quantizing a trained float model (docs/quantization.md): to full-integer int8 from activation
// ranges (calibration.h, or quantization-aware training), to fp16 weights, or to int8 weights with
// float activations (dynamic range).
//
//   GRAMLITE_ASSIGN_OR_RETURN(ir::Graph prepared, compress::prepare_for_quantization(float_graph));
//   GRAMLITE_ASSIGN_OR_RETURN(ir::ActivationRanges ranges, compress::calibrate(prepared, set, calib));
//   GRAMLITE_ASSIGN_OR_RETURN(ir::Graph int8, compress::convert_to_int8(prepared, ranges, {}));
#pragma once

#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"

namespace gramlite::compress {

enum class QuantizeMode { kInt8, kFloat16, kDynamic };
const char* quantize_mode_name(QuantizeMode mode);  // "int8", "fp16", "dynamic"

struct Int8Options {
  bool per_tensor_weights = false;      // one weight scale per tensor instead of per output channel
  int weight_bits = 8;                  // 7: headroom for AVX2's u8 x s8 pair sums (reduce_range)
  std::vector<std::string> keep_float;  // node names kept in float32, Quantize/Dequantize around them
};

// The float graph quantization works on: Dropout removed, batch norm folded, ReLU / ReLU6 fused
// (ir::optimize_for_inference). Tensor names are kept, so ranges and reports match by name.
Result<ir::Graph> prepare_for_quantization(const ir::Graph& float_graph);

// The int8 graph of a prepared float graph: weights per channel (or per tensor), activations from
// `ranges` (every float activation tensor the int8 graph quantizes must have one; a missing one is
// an error naming it), int32 bias, Quantize after the input and Dequantize before the output, ops
// without int8 kernels (and `keep_float` layers) left in float between Dequantize / Quantize.
Result<ir::Graph> convert_to_int8(const ir::Graph& prepared, const ir::ActivationRanges& ranges,
                                  const Int8Options& options);

// Conv2d / Linear weights to float16; everything else unchanged.
Result<ir::Graph> convert_to_float16(const ir::Graph& float_graph);

// Conv2d / Linear weights to int8 (symmetric, per output channel unless per_tensor_weights),
// activations and bias float32.
Result<ir::Graph> convert_to_dynamic(const ir::Graph& float_graph, const Int8Options& options);

// The nodes of `graph` that run in float although the graph is int8 (not Quantize / Dequantize):
// what `gramlite info` lists.
std::vector<std::string> float_nodes_in_int8_graph(const ir::Graph& graph);

}  // namespace gramlite::compress
