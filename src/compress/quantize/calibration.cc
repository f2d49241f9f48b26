#include "gramlite/compress/calibration.h"

namespace gramlite::compress {

const char* observer_name(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::kMinMax: return "minmax";
    case ObserverKind::kPercentile: return "percentile";
    case ObserverKind::kEntropy: return "entropy";
    case ObserverKind::kMse: return "mse";
  }
  return "invalid";
}

Result<ObserverKind> parse_observer(const std::string& name) {
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    if (name == observer_name(kind)) return kind;
  }
  return invalid_argument("unknown observer '", name, "' (expected minmax, percentile, entropy or mse)");
}

int64_t CalibrationSet::image_count() const {
  int64_t per_image = 1;
  for (int64_t d : image_shape) per_image *= d;
  int64_t count = 0;
  for (const auto& batch : batches) count += per_image > 0 ? static_cast<int64_t>(batch.size()) / per_image : 0;
  return count;
}

Result<ir::ActivationRanges> calibrate(const ir::Graph& /*prepared*/, const CalibrationSet& /*set*/,
                                       const CalibrationOptions& /*options*/) {
  return unsupported("calibrate: not built yet");
}

}  // namespace gramlite::compress
