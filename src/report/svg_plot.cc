#include "gramlite/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace gramlite::report {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_error_bar_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                                  const std::vector<PlotSeries>& series, double y_min, double y_max) {
  constexpr double kWidth = 640, kHeight = 420, kLeft = 70, kRight = 150, kTop = 40, kBottom = 60;
  double x_min = 0.0;
  double x_max = 1.0;
  bool first = true;
  for (const PlotSeries& s : series) {
    for (double x : s.x) {
      x_min = first ? x : std::min(x_min, x);
      x_max = first ? x : std::max(x_max, x);
      first = false;
    }
  }
  if (x_max <= x_min) x_max = x_min + 1.0;
  if (y_max <= y_min) y_max = y_min + 1.0;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  const auto py = [&](double y) { return kTop + (1.0 - (std::clamp(y, y_min, y_max) - y_min) / (y_max - y_min)) * plot_h; };

  std::ostringstream svg;
  svg.setf(std::ios::fixed);
  svg.precision(1);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" << escape(title) << "</text>\n";
  // Axes, grid and ticks: 5 intervals on each axis.
  for (int i = 0; i <= 5; ++i) {
    const double y = y_min + (y_max - y_min) * i / 5.0;
    const double x = x_min + (x_max - x_min) * i / 5.0;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << py(y) << "\" y2=\"" << py(y)
        << "\" stroke=\"#ddd\"/>\n";
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << py(y) + 4 << "\" text-anchor=\"end\">" << std::setprecision(2) << y
        << "</text>\n";
    svg << "<text x=\"" << px(x) << "\" y=\"" << kTop + plot_h + 18 << "\" text-anchor=\"middle\">" << x << "</text>\n";
    svg.precision(1);
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"black\"/>\n";
  svg << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"" << kHeight - 15 << "\" text-anchor=\"middle\">"
      << escape(x_label) << "</text>\n";
  svg << "<text transform=\"translate(18," << kTop + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escape(y_label) << "</text>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    std::ostringstream points;
    points.setf(std::ios::fixed);
    points.precision(1);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.mean[i])) continue;
      const double x = px(s.x[i]);
      points << x << "," << py(s.mean[i]) << " ";
      const double sd = std::isfinite(s.sd[i]) ? s.sd[i] : 0.0;
      svg << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << py(s.mean[i] - sd) << "\" y2=\""
          << py(s.mean[i] + sd) << "\" stroke=\"" << s.colour << "\"/>\n";
      svg << "<circle cx=\"" << x << "\" cy=\"" << py(s.mean[i]) << "\" r=\"3\" fill=\"" << s.colour << "\"/>\n";
    }
    svg << "<polyline points=\"" << points.str() << "\" fill=\"none\" stroke=\"" << s.colour << "\"/>\n";
    const double legend_y = kTop + 14 + 18 * static_cast<double>(k);
    svg << "<line x1=\"" << kLeft + plot_w + 12 << "\" x2=\"" << kLeft + plot_w + 32 << "\" y1=\"" << legend_y - 4
        << "\" y2=\"" << legend_y - 4 << "\" stroke=\"" << s.colour << "\" stroke-width=\"2\"/>\n";
    svg << "<text x=\"" << kLeft + plot_w + 36 << "\" y=\"" << legend_y << "\">" << escape(s.name) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace gramlite::report
