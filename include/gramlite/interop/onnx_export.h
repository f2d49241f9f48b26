// export_onnx: a gramlite IR graph (float32, or int8 as docs/quantization.md defines it) as an ONNX
// model at opset 13 that ONNX Runtime runs.
//
//   gramlite::interop::OnnxExportReport report;
//   Status s = gramlite::interop::export_onnx(graph, "mobilenet_v2.onnx", {}, &report);
//
// Every IR op kind has a mapping (docs/onnx-export.md lists them): Conv2d -> Conv, Linear -> Gemm,
// Relu6 -> Clip(0, 6), HardSwish -> x * HardSigmoid(x) (opset 13 has no HardSwish), a fused
// activation -> a node after its producer, Dropout -> nothing, ... The graph is exported as it is
// (no folding: a BatchNorm stays a BatchNormalization; ONNX Runtime folds it itself).
//
// int8 graphs are written in the QDQ form ONNX Runtime fuses into QLinearConv / QLinearMatMul:
// each int8 tensor is the int8 output of a QuantizeLinear (named as in the IR) read through a
// DequantizeLinear by the float op that consumes it; int8 weights are INT8 initializers and int32
// biases INT32 initializers, each behind a DequantizeLinear with per-channel scales on axis 0.
//
// Model metadata (class names, preprocessing, output kind, the IR's extra entries) goes into
// metadata_props under "gramlite.*" keys. A dynamic batch dim becomes the symbolic dim "batch".
//
// This header needs neither protobuf nor libonnx: in a build without them the functions return a
// kUnsupported error saying so.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::interop {

// The opset every export declares (QuantizeLinear / DequantizeLinear with per-axis scales need 13).
inline constexpr int kOnnxExportOpset = 13;

struct OnnxExportOptions {
  // Run onnx::checker::check_model on the result before it is written: a mapping bug surfaces as
  // an export error instead of a file that ONNX Runtime refuses later.
  bool run_checker = true;
  // The graph's name in the file; empty: the model's metadata name, else "gramlite".
  std::string graph_name;
};

struct OnnxExportReport {
  size_t nodes = 0;                // ONNX nodes written
  size_t initializers = 0;         // initializer tensors written
  size_t quantize_linear = 0;      // QuantizeLinear nodes (0 for a float graph)
  size_t dequantize_linear = 0;    // DequantizeLinear nodes
  bool quantized = false;          // whether the graph holds int8 tensors (QDQ export)
  std::vector<std::string> notes;  // what a user may want to know (ceil_mode pooling rewritten, ...)
};

// The serialized ModelProto. Errors: an invalid graph (kInvalidArgument, naming the node or
// tensor), a tensor or attribute ONNX cannot express (kUnsupported, naming it).
Result<std::string> export_onnx_to_memory(const ir::Graph& graph, const OnnxExportOptions& options = {},
                                          OnnxExportReport* report = nullptr);

// Writes the model to `path` atomically (complete or absent; base/atomic_file.h).
Status export_onnx(const ir::Graph& graph, const std::string& path, const OnnxExportOptions& options = {},
                   OnnxExportReport* report = nullptr);

// Whether this build can export ONNX (false: the functions above return kUnsupported).
bool onnx_export_available();

}  // namespace gramlite::interop
