// What `gramlite info` shows about a model, as data: parameter and MAC counts, constant bytes per
// dtype, sparsity, non-finite weights, one row per layer, and its precision with every tensor's
// dtype and quantization parameters. The CLI only formats it (text or
// JSON); a C++ user gets the same figures. Pure IR: no file, no runtime (the file's size and
// format version come from format::read_file_summary).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/stats.h"

namespace gramlite::ir {

struct LayerSummary {
  std::string name;
  OpKind kind = OpKind::kConv2d;
  Activation activation = Activation::kNone;  // fused activation
  std::string op_label;                       // "Conv2d 3x3/2 g32+ReLU6": kind, kernel, stride, groups, activation
  std::string weight_dtype;                   // of the first constant input ("fp32", "int8/pc"), else of the output
  bool has_output_shape = false;              // false when shape inference failed
  Shape output_shape;                         // at batch 1
  int64_t parameters = 0;
  int64_t macs = 0;                           // at batch 1
  int64_t zero_weights = 0;
  int64_t weight_elements = 0;                // elements of a Conv2d/Linear weight (input 1), else 0
};

// A model's precision, as `gramlite quantize --mode` names its variants (docs/quantization.md).
enum class ModelPrecision : uint8_t {
  kFloat32,          // "float32"
  kFloat16Weights,   // "float16 weights": fp16 constants, fp32 activations
  kInt8Dynamic,      // "int8 weights, float activations (dynamic)": int8 constants, no int8 activation
  kInt8FullInteger,  // "int8 (full integer)": int8 activations (float nodes may remain, listed)
};
const char* model_precision_name(ModelPrecision precision);
// int8 activations (a graph input or node output) -> full integer; else int8 constants -> dynamic;
// else float16 constants -> float16 weights; else float32.
ModelPrecision model_precision(const Graph& graph);

// The quantization parameters of one tensor, condensed: per-channel tensors can hold thousands.
struct QuantSummary {
  size_t scale_count = 0;  // 0: not quantized
  float scale_min = 0.0f;
  float scale_max = 0.0f;
  int32_t zero_point_min = 0;  // zero points absent in the file count as 0
  int32_t zero_point_max = 0;
  int32_t axis = -1;  // per-channel only
  bool per_channel() const { return scale_count > 1; }
};
QuantSummary summarize_quant(const QuantParams& quant);

struct TensorSummary {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  bool constant = false;
  QuantSummary quant;
};

// Nodes that compute in float in an int8 graph: neither Quantize nor Dequantize, float output
// (Softmax, an unfolded BatchNorm, layers kept in float). Node indices, in node order; in a float
// graph that is every node but the conversions.
std::vector<int> float_compute_nodes(const Graph& graph);

struct ModelSummary {
  ModelMetadata metadata;
  Shape input_shape;  // of the first graph input
  DType input_dtype = DType::kFloat32;
  ParameterCount parameters;
  int64_t macs = 0;             // per image
  int64_t weight_elements = 0;  // all Conv2d/Linear weights
  int64_t zero_weights = 0;     // zeros among them
  double weight_sparsity() const {
    return weight_elements > 0 ? static_cast<double>(zero_weights) / static_cast<double>(weight_elements) : 0.0;
  }
  std::map<std::string, int> op_counts;                   // op kind name -> nodes
  std::map<std::string, int64_t> constant_bytes_by_dtype;  // dtype name -> bytes of constant data
  // NaN or infinite values among the float constants (a model that holds them outputs garbage).
  int64_t non_finite_weights = 0;
  std::string first_non_finite_tensor;  // in tensor order; empty when there is none
  std::vector<LayerSummary> layers;     // in node order

  ModelPrecision precision = ModelPrecision::kFloat32;
  std::map<std::string, int> tensors_by_dtype;  // dtype name -> tensors (constants and activations)
  std::vector<TensorSummary> tensors;           // every tensor, in tensor order
  int int8_nodes = 0;                           // output int8, Quantize excluded
  int float_nodes = 0;                          // output float, Dequantize excluded
  int conversion_nodes = 0;                     // Quantize and Dequantize
  std::vector<std::string> float_node_names;    // float_compute_nodes() by name: int8 graphs only
};

// Errors: the graph has no input, or its costs cannot be computed (a malformed node).
Result<ModelSummary> summarize_model(const Graph& graph);

// The number of NaN or infinite values in a dense float32 or float16 constant (0 for other dtypes).
int64_t count_non_finite(const Tensor& tensor);

}  // namespace gramlite::ir
