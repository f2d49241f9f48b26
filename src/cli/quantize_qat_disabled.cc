#include "cli/quantize_qat.h"

namespace gramlite::cli {

Result<QatOutcome> run_qat(const QatRequest& /*request*/) {
  return unsupported("--qat needs quantization-aware training, which this gramlite was built without (libtorch)");
}

}  // namespace gramlite::cli
