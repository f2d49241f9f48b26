#include "gramlite/report/sweep_table.h"

#include <cmath>
#include <limits>
#include <utility>

namespace gramlite::report {

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd r;
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++r.count;
  }
  if (r.count == 0) {
    r.mean = r.sd = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  r.mean = sum / static_cast<double>(r.count);
  double squares = 0;
  for (double v : values) {
    if (std::isfinite(v)) squares += (v - r.mean) * (v - r.mean);
  }
  r.sd = r.count > 1 ? std::sqrt(squares / static_cast<double>(r.count - 1)) : 0.0;
  return r;
}

std::vector<SettingSummary> summarize_by_setting(const std::vector<double>& settings,
                                                 const std::vector<std::pair<double, double>>& runs, double tolerance) {
  std::vector<SettingSummary> rows;
  for (double setting : settings) {
    std::vector<double> values;
    for (const auto& [s, v] : runs) {
      if (std::fabs(s - setting) <= tolerance) values.push_back(v);
    }
    SettingSummary row;
    row.setting = setting;
    row.runs = values.size();
    row.value = mean_sd(values);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace gramlite::report
