#include "gramlite/compress/quantize.h"

namespace gramlite::compress {

Result<ir::Graph> convert_to_float16(const ir::Graph& /*float_graph*/) {
  return unsupported("convert_to_float16: not built yet");
}

Result<ir::Graph> convert_to_dynamic(const ir::Graph& /*float_graph*/, const Int8Options& /*options*/) {
  return unsupported("convert_to_dynamic: not built yet");
}

}  // namespace gramlite::compress
