// Sharing a sparsity target among layers: names, and the sensitivity-guided allocation.
#include <algorithm>

#include "gramlite/compress/pruning.h"

namespace gramlite::compress {
namespace {

// The largest sparsity of one layer's curve whose loss increase stays within `tolerance`: the
// curve starts at (0, 0), is linear between its points and ends at its last probed level.
double sparsity_within(const std::vector<double>& levels, const std::vector<double>& increases, double tolerance) {
  if (tolerance < 0.0) return 0.0;
  double previous_level = 0.0;
  double previous_increase = 0.0;
  for (size_t i = 0; i < levels.size(); ++i) {
    if (increases[i] > tolerance) {
      const double t = (tolerance - previous_increase) / (increases[i] - previous_increase);
      return previous_level + t * (levels[i] - previous_level);
    }
    previous_level = levels[i];
    previous_increase = increases[i];
  }
  return previous_level;
}

}  // namespace

const char* sparsity_allocation_name(SparsityAllocation allocation) {
  switch (allocation) {
    case SparsityAllocation::kUniform: return "uniform";
    case SparsityAllocation::kGlobal: return "global";
    case SparsityAllocation::kSensitivity: return "sensitivity";
  }
  return "unknown";
}

std::optional<SparsityAllocation> parse_sparsity_allocation(const std::string& name) {
  for (SparsityAllocation a : {SparsityAllocation::kUniform, SparsityAllocation::kGlobal, SparsityAllocation::kSensitivity}) {
    if (name == sparsity_allocation_name(a)) return a;
  }
  return std::nullopt;
}

std::vector<double> sensitivity_probe_levels() { return {0.5, 0.7, 0.8, 0.9, 0.95, 0.98}; }

std::vector<double> allocate_by_sensitivity(const std::vector<LayerSensitivity>& probes, double base_loss,
                                            double target) {
  // Non-decreasing loss increases from 0: noise that makes a pruned layer look better counts as 0.
  std::vector<std::vector<double>> increases(probes.size());
  double largest = 0.0;
  double elements = 0.0;
  for (size_t l = 0; l < probes.size(); ++l) {
    double running = 0.0;
    for (double loss : probes[l].losses) {
      running = std::max(running, loss - base_loss);
      increases[l].push_back(running);
    }
    largest = std::max(largest, running);
    elements += static_cast<double>(probes[l].elements);
  }
  const auto allocation = [&](double tolerance) {
    std::vector<double> s(probes.size());
    for (size_t l = 0; l < probes.size(); ++l) s[l] = sparsity_within(probes[l].sparsities, increases[l], tolerance);
    return s;
  };
  const auto mean = [&](const std::vector<double>& s) {
    double sum = 0.0;
    for (size_t l = 0; l < s.size(); ++l) sum += s[l] * static_cast<double>(probes[l].elements);
    return elements > 0.0 ? sum / elements : 0.0;
  };
  std::vector<double> high = allocation(largest);
  if (mean(high) <= target) return high;
  // Bisection on the tolerance; flat stretches of the curves make the mean jump, so the result
  // blends the two allocations around the crossing to land on the target exactly.
  double low_tolerance = -1.0;
  double high_tolerance = largest;
  for (int i = 0; i < 100; ++i) {
    const double middle = 0.5 * (low_tolerance + high_tolerance);
    (mean(allocation(middle)) < target ? low_tolerance : high_tolerance) = middle;
  }
  const std::vector<double> low = allocation(low_tolerance);
  high = allocation(high_tolerance);
  const double low_mean = mean(low);
  const double high_mean = mean(high);
  const double t = high_mean > low_mean ? (target - low_mean) / (high_mean - low_mean) : 1.0;
  std::vector<double> result(probes.size());
  for (size_t l = 0; l < probes.size(); ++l) result[l] = low[l] + t * (high[l] - low[l]);
  return result;
}

}  // namespace gramlite::compress
