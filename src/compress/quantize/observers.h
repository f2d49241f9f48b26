// Observers: they see every value an activation tensor takes over the calibration images and
// choose the float range its int8 parameters will cover (calibration.h, ObserverKind).
//
// All observers keep the exact extremes. The histogram-based ones (percentile, entropy, mse) keep
// one histogram of |x| per sign, kHistogramBins bins from 0: the range of a side may be clipped
// on its own (a ReLU output has no negative side; a skewed tensor has a long tail on one). When a
// value falls beyond the histogram, its bin width doubles (pairs of bins merge), so one pass over
// the images suffices and bin edges stay exact; the side's largest value then lies in the upper
// half of the bins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gramlite/compress/calibration.h"
#include "gramlite/ir/quantization.h"

namespace gramlite::compress::internal {

inline constexpr size_t kHistogramBins = 2048;

// Counts of |x| for the values of one sign, in bins [i * width, (i + 1) * width).
struct MagnitudeHistogram {
  std::vector<double> counts = std::vector<double>(kHistogramBins, 0.0);
  double width = 0.0;  // 0 until a non-zero value arrives
  double max = 0.0;    // the largest magnitude seen
  double total = 0.0;  // values counted (zeros included)

  void add(const float* magnitudes, size_t count);
  // The magnitude below which `fraction` of the counted values lie (interpolated in its bin).
  double quantile(double fraction) const;

 private:
  void grow_to(double magnitude);
};

class Observer {
 public:
  virtual ~Observer() = default;
  // Non-finite values are skipped and counted (the return value): calibration reports them
  // instead of calibrating around a broken model.
  virtual size_t observe(const float* values, size_t count) = 0;
  // The range to quantize; {0, 0} when nothing finite was seen.
  virtual ir::ActivationRange range() const = 0;
};

std::unique_ptr<Observer> make_observer(ObserverKind kind, double percentile = 99.99);

// The clipping bound of one side chosen by each histogram method, as a magnitude; exposed for tests.
// `levels`: the quantization levels that side gets (256 for a one-sided tensor, 128 otherwise).
double entropy_threshold(const MagnitudeHistogram& side, int levels);
// Minimises clipping error + the uniform rounding noise (step^2 / 12 per value inside the range)
// over the pair of bounds, searched as one shrink factor for both sides and then each side alone.
ir::ActivationRange mse_range(const MagnitudeHistogram& negative, const MagnitudeHistogram& positive);

}  // namespace gramlite::compress::internal
