#include "gramlite/compress/equalization.h"

namespace gramlite::compress {

Result<int> correct_bias(ir::Graph& /*prepared*/, const CalibrationSet& /*set*/, const Int8Options& /*options*/,
                         ThreadPool* /*pool*/) {
  return unsupported("correct_bias: not built yet");
}

}  // namespace gramlite::compress
