// A small SVG line plot with error bars (mean +- sd per x), dependency-free, for sweep reports (`gramlite sweep`).
#pragma once

#include <string>
#include <vector>

namespace gramlite::report {

struct PlotSeries {
  std::string name;
  std::string colour;  // CSS colour
  std::vector<double> x;
  std::vector<double> mean;
  std::vector<double> sd;
};

// y runs over [y_min, y_max]; x over the series' range.
std::string render_error_bar_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                                  const std::vector<PlotSeries>& series, double y_min, double y_max);

}  // namespace gramlite::report
