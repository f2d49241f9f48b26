#include "data/synth_slide/placeholder_renderer.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace gramlite::data::synth_slide::placeholder {
namespace {

constexpr double kCellMicrons = 10.0;  // organisms are decided per 10 x 10 um cell
constexpr double kPi = 3.14159265358979323846;

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: a good cheap hash
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class CellRng {
 public:
  explicit CellRng(uint64_t state) : state_(state) {}
  double unit() {
    state_ = mix(state_);
    return static_cast<double>(state_ >> 11) * (1.0 / 9007199254740992.0);
  }

 private:
  uint64_t state_;
};

const cv::Scalar kGramPositive(110, 35, 75);  // BGR: crystal violet
const cv::Scalar kGramNegative(120, 70, 205);  // BGR: safranin pink-red

// Draws the organisms of one cell into `canvas`, whose pixel (0,0) is level-0 (ox, oy).
void draw_cell(cv::Mat& canvas, const FieldSpec& spec, uint64_t seed, int64_t cell_x, int64_t cell_y, int64_t ox,
               int64_t oy) {
  const double cell_px = kCellMicrons / spec.microns_per_pixel;
  const double um = 1.0 / spec.microns_per_pixel;  // pixels per micron
  CellRng rng(mix(seed ^ mix(static_cast<uint64_t>(cell_x) * 0x100000001b3ull ^ static_cast<uint64_t>(cell_y))));
  const double area_units = kCellMicrons * kCellMicrons / 100.0;
  for (int kind = 0; kind < 3; ++kind) {
    // Expected count per cell; draw floor + Bernoulli(frac) so densities below one still show.
    const double expected = spec.organism_density[kind] * area_units;
    int count = static_cast<int>(expected);
    if (rng.unit() < expected - count) ++count;
    for (int i = 0; i < count; ++i) {
      const double px = (cell_x + rng.unit()) * cell_px - static_cast<double>(ox);
      const double py = (cell_y + rng.unit()) * cell_px - static_cast<double>(oy);
      const double angle = 2 * kPi * rng.unit();
      const int radius = std::max(1, static_cast<int>(std::lround(0.5 * um)));
      if (kind == 0) {  // cluster: grape-like bunch
        const int n = 4 + static_cast<int>(rng.unit() * 8);
        for (int k = 0; k < n; ++k) {
          const double r = 1.2 * um * std::sqrt(rng.unit());
          const double a = 2 * kPi * rng.unit();
          cv::circle(canvas, cv::Point(static_cast<int>(px + r * std::cos(a)), static_cast<int>(py + r * std::sin(a))),
                     radius, kGramPositive, cv::FILLED, cv::LINE_AA);
        }
      } else if (kind == 1) {  // chain: beads along a line
        const int n = 4 + static_cast<int>(rng.unit() * 8);
        for (int k = 0; k < n; ++k) {
          const double d = (k - n / 2.0) * 1.0 * um;
          cv::circle(canvas, cv::Point(static_cast<int>(px + d * std::cos(angle)), static_cast<int>(py + d * std::sin(angle))),
                     radius, kGramPositive, cv::FILLED, cv::LINE_AA);
        }
      } else {  // rod: a short capsule
        const double half = 1.0 * um;
        const cv::Point a(static_cast<int>(px - half * std::cos(angle)), static_cast<int>(py - half * std::sin(angle)));
        const cv::Point b(static_cast<int>(px + half * std::cos(angle)), static_cast<int>(py + half * std::sin(angle)));
        cv::line(canvas, a, b, kGramNegative, std::max(1, static_cast<int>(std::lround(0.7 * um))), cv::LINE_AA);
      }
    }
  }
}

}  // namespace

Result<RgbImage> render_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x, int64_t origin_y, int width,
                              int height) {
  if (width < 1 || height < 1 || !(spec.microns_per_pixel > 0)) {
    return invalid_argument("placeholder render_field: bad size ", width, "x", height, " or mpp ", spec.microns_per_pixel);
  }
  cv::Mat canvas(height, width, CV_8UC3);
  // Smear background: pale pink counterstain with per-pixel grain hashed from the absolute
  // position, so it is seamless.
  for (int y = 0; y < height; ++y) {
    auto* row = canvas.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      const uint64_t h = mix(seed ^ mix(static_cast<uint64_t>(origin_x + x) << 32 ^ static_cast<uint64_t>(origin_y + y)));
      const int grain = static_cast<int>(h & 7) - 4;
      row[x] = cv::Vec3b(static_cast<uint8_t>(214 + grain), static_cast<uint8_t>(200 + grain),
                         static_cast<uint8_t>(236 + grain));
    }
  }
  const double cell_px = kCellMicrons / spec.microns_per_pixel;
  const double margin = 4.0 / spec.microns_per_pixel;  // organisms reach at most ~3 um from their cell point
  const auto first = [&](int64_t o) { return static_cast<int64_t>(std::floor((o - margin) / cell_px)); };
  const auto last = [&](int64_t o, int n) { return static_cast<int64_t>(std::floor((o + n + margin) / cell_px)); };
  for (int64_t cy = first(origin_y); cy <= last(origin_y, height); ++cy) {
    for (int64_t cx = first(origin_x); cx <= last(origin_x, width); ++cx) draw_cell(canvas, spec, seed, cx, cy, origin_x, origin_y);
  }
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  cv::Mat wrapped(height, width, CV_8UC3, image.pixels.data());
  cv::cvtColor(canvas, wrapped, cv::COLOR_BGR2RGB);
  return image;
}

}  // namespace gramlite::data::synth_slide::placeholder
