#include "compress/quantize/observers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gramlite::compress::internal {
namespace {

constexpr double kBins = static_cast<double>(kHistogramBins);

class MinMaxObserver final : public Observer {
 public:
  size_t observe(const float* values, size_t count) override {
    size_t not_finite = 0;
    for (size_t i = 0; i < count; ++i) {
      const float v = values[i];
      if (!std::isfinite(v)) {
        ++not_finite;
        continue;
      }
      min_ = std::min(min_, v);
      max_ = std::max(max_, v);
    }
    return not_finite;
  }
  ir::ActivationRange range() const override {
    if (min_ > max_) return {};
    return {min_, max_};
  }

 private:
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
};

// The histograms every clipping observer needs; subclasses choose the bounds.
class HistogramObserver : public Observer {
 public:
  size_t observe(const float* values, size_t count) override {
    size_t not_finite = 0;
    negative_scratch_.clear();
    positive_scratch_.clear();
    for (size_t i = 0; i < count; ++i) {
      const float v = values[i];
      if (!std::isfinite(v)) {
        ++not_finite;
      } else if (v < 0.0f) {
        negative_scratch_.push_back(-v);
      } else {
        positive_scratch_.push_back(v);  // zeros count on the positive side
      }
    }
    negative_.add(negative_scratch_.data(), negative_scratch_.size());
    positive_.add(positive_scratch_.data(), positive_scratch_.size());
    return not_finite;
  }

 protected:
  // Exact extremes (a bound never exceeds them).
  float exact_min() const { return negative_.total > 0 ? -static_cast<float>(negative_.max) : 0.0f; }
  float exact_max() const { return static_cast<float>(positive_.max); }

  MagnitudeHistogram negative_;
  MagnitudeHistogram positive_;

 private:
  std::vector<float> negative_scratch_;
  std::vector<float> positive_scratch_;
};

class PercentileObserver final : public HistogramObserver {
 public:
  explicit PercentileObserver(double percentile) : fraction_(percentile / 100.0) {}
  ir::ActivationRange range() const override {
    if (negative_.total + positive_.total == 0) return {};
    const double low = negative_.total > 0 ? negative_.quantile(fraction_) : 0.0;
    const double high = positive_.total > 0 ? positive_.quantile(fraction_) : 0.0;
    return {std::max(-static_cast<float>(low), exact_min()), std::min(static_cast<float>(high), exact_max())};
  }

 private:
  double fraction_;
};

class EntropyObserver final : public HistogramObserver {
 public:
  ir::ActivationRange range() const override {
    if (negative_.total + positive_.total == 0) return {};
    const bool two_sided = negative_.total > 0 && positive_.max > 0.0;
    const int levels = two_sided ? 128 : 256;
    const double low = negative_.total > 0 ? entropy_threshold(negative_, levels) : 0.0;
    const double high = entropy_threshold(positive_, levels);
    return {std::max(-static_cast<float>(low), exact_min()), std::min(static_cast<float>(high), exact_max())};
  }
};

class MseObserver final : public HistogramObserver {
 public:
  ir::ActivationRange range() const override {
    if (negative_.total + positive_.total == 0) return {};
    const ir::ActivationRange r = mse_range(negative_, positive_);
    return {std::max(r.min, exact_min()), std::min(r.max, exact_max())};
  }
};

}  // namespace

void MagnitudeHistogram::grow_to(double magnitude) {
  if (magnitude <= 0.0) return;
  if (width == 0.0) {
    // The first non-zero values: the largest lands in the last bin.
    width = magnitude / kBins * (1.0 + 1e-6);
    return;
  }
  while (magnitude >= width * kBins) {
    for (size_t i = 0; i < kHistogramBins / 2; ++i) counts[i] = counts[2 * i] + counts[2 * i + 1];
    std::fill(counts.begin() + static_cast<std::ptrdiff_t>(kHistogramBins / 2), counts.end(), 0.0);
    width *= 2.0;
  }
}

void MagnitudeHistogram::add(const float* magnitudes, size_t count) {
  if (count == 0) return;
  const float batch_max = *std::max_element(magnitudes, magnitudes + count);
  grow_to(batch_max);
  max = std::max(max, static_cast<double>(batch_max));
  total += static_cast<double>(count);
  if (width == 0.0) {
    counts[0] += static_cast<double>(count);  // all zeros
    return;
  }
  const double inverse = 1.0 / width;
  for (size_t i = 0; i < count; ++i) {
    const auto bin = static_cast<size_t>(static_cast<double>(magnitudes[i]) * inverse);
    counts[std::min(bin, kHistogramBins - 1)] += 1.0;
  }
}

double MagnitudeHistogram::quantile(double fraction) const {
  if (total <= 0.0) return 0.0;
  const double target = std::clamp(fraction, 0.0, 1.0) * total;
  double below = 0.0;
  for (size_t i = 0; i < kHistogramBins; ++i) {
    if (below + counts[i] >= target && counts[i] > 0.0) {
      const double within = (target - below) / counts[i];
      return std::min(max, (static_cast<double>(i) + within) * width);
    }
    below += counts[i];
  }
  return max;
}

// TensorRT's calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017): for each candidate
// number of bins i kept, P is the histogram cut at i with the clipped tail added to its last bin,
// Q is the first i bins merged into `levels` groups and spread back over their non-empty bins;
// the i whose KL(P || Q) is smallest gives the threshold i * width.
double entropy_threshold(const MagnitudeHistogram& side, int levels) {
  if (side.total <= 0.0 || side.width == 0.0) return side.max;
  size_t last = 0;  // one past the last non-empty bin
  for (size_t i = 0; i < kHistogramBins; ++i) {
    if (side.counts[i] > 0.0) last = i + 1;
  }
  const auto q_levels = static_cast<size_t>(levels);
  if (last <= q_levels) return side.max;  // every value is representable without clipping
  std::vector<double> tail(kHistogramBins + 1, 0.0);  // tail[i] = sum of counts[i..]
  for (size_t i = kHistogramBins; i-- > 0;) tail[i] = tail[i + 1] + side.counts[i];

  double best_kl = std::numeric_limits<double>::infinity();
  size_t best_bins = last;
  std::vector<double> q(last);
  // At most ~512 candidates: TensorRT tries every bin count, which costs seconds per model here for
  // a difference below one bin width in the threshold.
  const size_t stride = std::max<size_t>(1, (last - q_levels) / 512);
  for (size_t bins = q_levels; bins <= last; bins += stride) {
    const double merged = static_cast<double>(bins) / static_cast<double>(q_levels);
    for (size_t j = 0; j < q_levels; ++j) {
      const auto start = static_cast<size_t>(std::floor(static_cast<double>(j) * merged));
      const size_t end = j + 1 == q_levels ? bins : static_cast<size_t>(std::floor(static_cast<double>(j + 1) * merged));
      double sum = 0.0;
      size_t non_empty = 0;
      for (size_t k = start; k < end; ++k) {
        sum += side.counts[k];
        non_empty += side.counts[k] > 0.0 ? 1 : 0;
      }
      for (size_t k = start; k < end; ++k) q[k] = side.counts[k] > 0.0 ? sum / static_cast<double>(non_empty) : 0.0;
    }
    // P's total is the whole side; Q's is the side without the clipped tail.
    const double p_total = side.total;
    const double q_total = side.total - tail[bins];
    if (q_total <= 0.0) continue;
    double kl = 0.0;
    for (size_t k = 0; k < bins; ++k) {
      const double p = (k + 1 == bins ? side.counts[k] + tail[bins] : side.counts[k]) / p_total;
      if (p <= 0.0) continue;
      const double qk = q[k] / q_total;
      kl += qk > 0.0 ? p * std::log(p / qk) : p * std::log(p / 1e-12);
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_bins = bins;
    }
  }
  return std::min(side.max, static_cast<double>(best_bins) * side.width);
}

namespace {

// Expected squared error per value for bounds [-low, high] (magnitudes), from the histograms.
double quantization_error(const MagnitudeHistogram& negative, const MagnitudeHistogram& positive, double low,
                          double high) {
  const double step = (low + high) / 255.0;
  const double noise = step * step / 12.0;
  double error = 0.0;
  for (const auto* side : {&negative, &positive}) {
    const double bound = side == &negative ? low : high;
    for (size_t i = 0; i < kHistogramBins; ++i) {
      const double c = side->counts[i];
      if (c == 0.0) continue;
      const double center = (static_cast<double>(i) + 0.5) * side->width;
      error += center > bound ? c * (center - bound) * (center - bound) : c * noise;
    }
  }
  return error;
}

}  // namespace

ir::ActivationRange mse_range(const MagnitudeHistogram& negative, const MagnitudeHistogram& positive) {
  const double full_low = negative.total > 0 ? negative.max : 0.0;
  const double full_high = positive.max;
  if (full_low + full_high <= 0.0) return {};
  constexpr int kSteps = 200;
  double best_low = full_low;
  double best_high = full_high;
  double best = quantization_error(negative, positive, full_low, full_high);
  const auto consider = [&](double low, double high) {
    if (low + high <= 0.0) return;
    const double error = quantization_error(negative, positive, low, high);
    if (error < best) {
      best = error;
      best_low = low;
      best_high = high;
    }
  };
  for (int s = 1; s < kSteps; ++s) {
    const double f = static_cast<double>(s) / kSteps;
    consider(full_low * f, full_high * f);
  }
  // Then each side alone: a tensor's tails need not be alike.
  const double low = best_low;
  for (int s = 1; s <= kSteps; ++s) consider(low, full_high * s / kSteps);
  const double high = best_high;
  for (int s = 1; s <= kSteps; ++s) consider(full_low * s / kSteps, high);
  return {-static_cast<float>(best_low), static_cast<float>(best_high)};
}

std::unique_ptr<Observer> make_observer(ObserverKind kind, double percentile) {
  switch (kind) {
    case ObserverKind::kMinMax: return std::make_unique<MinMaxObserver>();
    case ObserverKind::kPercentile: return std::make_unique<PercentileObserver>(percentile);
    case ObserverKind::kEntropy: return std::make_unique<EntropyObserver>();
    case ObserverKind::kMse: return std::make_unique<MseObserver>();
  }
  return std::make_unique<MinMaxObserver>();
}

}  // namespace gramlite::compress::internal
