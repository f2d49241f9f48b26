// import_onnx in a build without libonnx / protobuf: the API exists (so callers and the CLI build
// the same way everywhere) and says why it cannot work.
#include "gramlite/interop/onnx_import.h"

namespace gramlite::interop {
namespace {

Status not_built() {
  return unsupported("ONNX support was not built into this gramlite (GRAMLITE_WITH_ONNX was off or libonnx-dev / "
                     "protobuf were not found); install libonnx-dev and rebuild");
}

}  // namespace

bool onnx_import_available() { return false; }

Result<ir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options, OnnxImportReport* report) {
  (void)options;
  (void)report;
  return not_built().with_context(str_cat("importing ONNX model '", path, "'"));
}

Result<ir::Graph> import_onnx_from_memory(const void* data, size_t size, const OnnxImportOptions& options,
                                          OnnxImportReport* report) {
  (void)data;
  (void)size;
  (void)options;
  (void)report;
  return not_built();
}

}  // namespace gramlite::interop
