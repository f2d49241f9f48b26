// Summaries of a repeated experiment: the mean and sample standard deviation of each setting's runs
// (the layer-fraction sweep's accuracy per fraction), ignoring runs that gave no number.
#pragma once

#include <cstddef>
#include <vector>

namespace gramlite::report {

struct MeanSd {
  double mean = 0.0;  // NaN when no value is finite
  double sd = 0.0;    // sample sd (n - 1); 0 for one value, NaN for none
  size_t count = 0;   // finite values used
};

MeanSd mean_sd(const std::vector<double>& values);

// One row per setting: the values of the runs with that setting, in the order of `settings`.
struct SettingSummary {
  double setting = 0.0;
  size_t runs = 0;  // all runs of the setting, finite or not
  MeanSd value;
};

// `runs`: (setting, value) pairs in any order; settings compare equal within `tolerance`.
std::vector<SettingSummary> summarize_by_setting(const std::vector<double>& settings,
                                                 const std::vector<std::pair<double, double>>& runs,
                                                 double tolerance = 1e-9);

}  // namespace gramlite::report
