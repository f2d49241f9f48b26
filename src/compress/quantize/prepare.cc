#include "gramlite/compress/quantize.h"

namespace gramlite::compress {

const char* quantize_mode_name(QuantizeMode mode) {
  switch (mode) {
    case QuantizeMode::kInt8: return "int8";
    case QuantizeMode::kFloat16: return "fp16";
    case QuantizeMode::kDynamic: return "dynamic";
  }
  return "invalid";
}

Result<ir::Graph> prepare_for_quantization(const ir::Graph& /*float_graph*/) {
  return unsupported("prepare_for_quantization: not built yet");
}

}  // namespace gramlite::compress
