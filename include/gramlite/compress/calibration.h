// Calibration: running the prepared float graph over a set of images and choosing, per activation
// tensor, the range the int8 model will represent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"

namespace gramlite::compress {

enum class ObserverKind {
  kMinMax,      // the extremes seen
  kPercentile,  // the given percentile of |x| on each side (outliers clipped)
  kEntropy,     // the clipping that minimises the KL divergence of the histogram (TensorRT)
  kMse,         // the clipping that minimises the quantization mean squared error
};
const char* observer_name(ObserverKind kind);
Result<ObserverKind> parse_observer(const std::string& name);  // minmax, percentile, entropy, mse

// Preprocessed input images, batched: each batch holds n * C * H * W floats (NCHW), as the
// model's own preprocessing made them.
struct CalibrationSet {
  ir::Shape image_shape;  // [C, H, W]
  std::vector<std::vector<float>> batches;
  int64_t image_count() const;
};

struct CalibrationOptions {
  ObserverKind observer = ObserverKind::kMinMax;
  double percentile = 99.99;
  ThreadPool* pool = nullptr;
  std::function<void(int64_t images_done, int64_t images_total)> progress;
};

// The range of every float activation tensor of `prepared` (graph inputs and node outputs).
Result<ir::ActivationRanges> calibrate(const ir::Graph& prepared, const CalibrationSet& set,
                                       const CalibrationOptions& options);

}  // namespace gramlite::compress
