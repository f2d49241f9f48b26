// import_onnx: an ONNX image classifier (graph + initializers) as a gramlite IR graph.
//
//   gramlite::interop::OnnxImportOptions options;
//   options.class_names = {"gram_positive", "gram_negative"};
//   gramlite::interop::OnnxImportReport report;
//   Result<ir::Graph> graph = gramlite::interop::import_onnx("mobilenet_v2.onnx", options, &report);
//
// The ONNX operators that CNN classifiers exported by torch.onnx.export, tf2onnx / keras2onnx use
// (Conv, BatchNormalization, Relu, Clip, HardSigmoid, HardSwish, Sigmoid, Add, Mul, pooling,
// Flatten, Reshape, Gemm, MatMul, Softmax, Concat, Pad, ...) are mapped onto IR ops, composed from
// several IR ops where the IR has no single equivalent; docs/onnx-import.md lists each mapping.
// Initializers and Constant nodes become IR constants (float32; float16 / float64 are converted
// with a note); integer tensors (shapes, pads, axes) are consumed at import time. The result is
// validated (structure and shape inference); every error names the ONNX node, its op type and the
// model's opset, and the first unsupported op ends the import with one error.
//
// This header needs neither protobuf nor libonnx: in a build without them (GRAMLITE_WITH_ONNX off
// or libonnx-dev missing) both functions return an kUnsupported error saying so.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::interop {

// The newest default-domain opset whose operator semantics the importer implements (opset 19
// changes pooling's ceil_mode windows, among others). Newer models are refused with kUnsupported
// rather than imported with what may be the wrong meaning.
inline constexpr int kNewestSupportedOnnxOpset = 18;

struct OnnxImportOptions {
  // Square input size in pixels. 0: taken from the model's input shape; needed when the model
  // declares H / W symbolic (e.g. exported with dynamic_axes on them). When the model has a fixed
  // size, a different non-zero value is an error (the weights of a Flatten + Gemm head fix it).
  int input_size = 0;
  // One name per output class; empty: the names a gramlite-exported file records
  // (metadata_props "gramlite.class_names"), else "class_0", "class_1", ...
  std::vector<std::string> class_names;
  // Whether dim 0 of the input becomes the IR's dynamic batch even when the model fixes it
  // (torch.onnx.export without dynamic_axes writes batch 1). Reshape targets that repeat the fixed
  // batch size at dim 0 are rewritten to copy dim 0. false: a fixed batch stays fixed.
  bool dynamic_batch = true;
  // Run onnx::checker::check_model before importing. It catches malformed graphs with the checker's
  // own wording; the importer checks everything it relies on either way.
  bool run_checker = true;
  // How to prepare an input image. ONNX has no field for it: nullopt takes what a gramlite-exported
  // file records (metadata_props "gramlite.preprocessing") and otherwise torchvision's ImageNet
  // normalisation ((x - mean) / std with mean 0.485/0.456/0.406, std 0.229/0.224/0.225, RGB), right
  // for models exported from torchvision; Keras MobileNet expects mean 0.5, std 0.5 (x / 127.5 - 1).
  std::optional<ir::Preprocessing> preprocessing;
};

struct OnnxImportReport {
  int opset = 0;                   // the default-domain opset the model imports
  std::string producer;            // producer_name + " " + producer_version
  size_t initializers = 0;         // initializer tensors in the file
  std::vector<std::string> notes;  // conversions a user may want to know about (fp16 weights, ...)
};

// Reads and imports `path`. The file's name is recorded as the provenance.
Result<ir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options = {},
                              OnnxImportReport* report = nullptr);

// Imports `size` bytes at `data` (borrowed for the call only) holding a serialized ModelProto.
Result<ir::Graph> import_onnx_from_memory(const void* data, size_t size, const OnnxImportOptions& options = {},
                                          OnnxImportReport* report = nullptr);

// Whether this build can import ONNX (false: the functions above return kUnsupported).
bool onnx_import_available();

}  // namespace gramlite::interop
