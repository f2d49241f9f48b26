// export_onnx in a build without libonnx / protobuf: the API exists (so callers and the CLI build
// the same way everywhere) and says why it cannot work.
#include "gramlite/interop/onnx_export.h"

namespace gramlite::interop {
namespace {

Status not_built() {
  return unsupported("ONNX support was not built into this gramlite (GRAMLITE_WITH_ONNX was off or libonnx-dev / "
                     "protobuf were not found); install libonnx-dev and rebuild");
}

}  // namespace

bool onnx_export_available() { return false; }

Result<std::string> export_onnx_to_memory(const ir::Graph& graph, const OnnxExportOptions& options,
                                          OnnxExportReport* report) {
  (void)graph;
  (void)options;
  (void)report;
  return not_built();
}

Status export_onnx(const ir::Graph& graph, const std::string& path, const OnnxExportOptions& options,
                   OnnxExportReport* report) {
  (void)graph;
  (void)options;
  (void)report;
  return not_built().with_context(str_cat("exporting ONNX model '", path, "'"));
}

}  // namespace gramlite::interop
