#include "gramlite/data/wsi/background.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "data/wsi/level_choice.h"

namespace gramlite::data::wsi {
namespace {

constexpr int kBandRows = 256;  // level rows per read while building the thumbnail

uint8_t saturation_byte(const uint8_t* p) {
  const int hi = std::max({p[0], p[1], p[2]});
  const int lo = std::min({p[0], p[1], p[2]});
  return hi == 0 ? 0 : static_cast<uint8_t>((255 * (hi - lo) + hi / 2) / hi);
}

// Darkest-channel intensity at or below which OD exceeds the threshold.
int max_intensity_for_od(double od) { return static_cast<int>(std::floor(256.0 * std::pow(10.0, -od) - 1.0)); }

bool is_smear(const uint8_t* p, int saturation_cut, int intensity_cut) {
  return saturation_byte(p) > saturation_cut && std::min({p[0], p[1], p[2]}) <= intensity_cut;
}

}  // namespace

Result<RgbImage> read_thumbnail(const Slide& slide, int max_size) {
  if (max_size < 1) return invalid_argument("thumbnail size must be >= 1");
  const SlideLevel& base = slide.level(0);
  const double scale = std::max(1.0, static_cast<double>(std::max(base.width, base.height)) / max_size);
  const int tw = std::max(1, static_cast<int>(std::lround(base.width / scale)));
  const int th = std::max(1, static_cast<int>(std::lround(base.height / scale)));
  const int level = best_level_for_downsample(slide, scale);
  const SlideLevel& src = slide.level(level);
  if (src.width > (int64_t{1} << 28) / kBandRows) return unsupported("slide '", slide.path(), "' is too wide to thumbnail");
  RgbImage thumb;
  thumb.width = tw;
  thumb.height = th;
  thumb.pixels.resize(static_cast<size_t>(tw) * th * 3);
  for (int64_t a = 0; a < src.height; a += kBandRows) {
    const int64_t b = std::min<int64_t>(src.height, a + kBandRows);
    const int out0 = static_cast<int>(std::lround(static_cast<double>(a) * th / src.height));
    const int out1 = static_cast<int>(std::lround(static_cast<double>(b) * th / src.height));
    if (out1 <= out0) continue;  // this band is thinner than half a thumbnail row
    GRAMLITE_ASSIGN_OR_RETURN(RgbImage band, slide.read_region(level, 0, std::llround(a * src.downsample),
                                                               static_cast<int>(src.width), static_cast<int>(b - a)));
    const cv::Mat in(band.height, band.width, CV_8UC3, band.pixels.data());
    cv::Mat out(out1 - out0, tw, CV_8UC3, thumb.pixels.data() + static_cast<size_t>(out0) * tw * 3);
    cv::resize(in, out, out.size(), 0, 0, cv::INTER_AREA);
  }
  return thumb;
}

Result<TissueMask> compute_tissue_mask(const Slide& slide, const BackgroundOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(RgbImage thumb, read_thumbnail(slide, options.thumbnail_max_size));
  TissueMask result;
  BackgroundThresholds& t = result.thresholds_;
  t.thumbnail_width = thumb.width;
  t.thumbnail_height = thumb.height;
  t.thumbnail_downsample = static_cast<double>(slide.level(0).width) / thumb.width;
  t.optical_density = options.optical_density_threshold;
  t.min_tissue_fraction = options.min_tissue_fraction;
  const size_t n = static_cast<size_t>(thumb.width) * thumb.height;
  cv::Mat saturation(thumb.height, thumb.width, CV_8UC1);
  for (size_t i = 0; i < n; ++i) saturation.data[i] = saturation_byte(&thumb.pixels[i * 3]);
  double cut = options.saturation_threshold * 255.0;
  if (options.use_otsu) {
    cv::Mat ignored;
    const double otsu = cv::threshold(saturation, ignored, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cut = std::max(cut, otsu);
    t.saturation_from_otsu = otsu >= options.saturation_threshold * 255.0;
  }
  t.saturation = cut / 255.0;
  const int saturation_cut = static_cast<int>(std::floor(cut));
  const int intensity_cut = max_intensity_for_od(options.optical_density_threshold);
  result.slide_width_ = slide.level(0).width;
  result.slide_height_ = slide.level(0).height;
  result.mask_.resize(n);
  int64_t smear = 0;
  for (size_t i = 0; i < n; ++i) {
    result.mask_[i] = is_smear(&thumb.pixels[i * 3], saturation_cut, intensity_cut) ? 1 : 0;
    smear += result.mask_[i];
  }
  t.slide_tissue_fraction = static_cast<double>(smear) / static_cast<double>(n);
  const int w = thumb.width, h = thumb.height;
  result.integral_.assign(static_cast<size_t>(w + 1) * (h + 1), 0);
  for (int y = 0; y < h; ++y) {
    int64_t row = 0;
    for (int x = 0; x < w; ++x) {
      row += result.mask_[static_cast<size_t>(y) * w + x];
      result.integral_[static_cast<size_t>(y + 1) * (w + 1) + x + 1] = result.integral_[static_cast<size_t>(y) * (w + 1) + x + 1] + row;
    }
  }
  return result;
}

double TissueMask::fraction(int64_t x, int64_t y, int64_t width, int64_t height) const {
  const int w = thresholds_.thumbnail_width, h = thresholds_.thumbnail_height;
  if (w < 1 || h < 1 || width < 1 || height < 1) return 0;
  // Thumbnail cells whose centres fall inside the rectangle; at least one cell.
  const double sx = static_cast<double>(w) / slide_width_, sy = static_cast<double>(h) / slide_height_;
  int64_t x0 = std::llround(x * sx), x1 = std::llround((x + width) * sx);
  int64_t y0 = std::llround(y * sy), y1 = std::llround((y + height) * sy);
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const double area = static_cast<double>((x1 - x0) * (y1 - y0));
  x0 = std::clamp<int64_t>(x0, 0, w), x1 = std::clamp<int64_t>(x1, 0, w);
  y0 = std::clamp<int64_t>(y0, 0, h), y1 = std::clamp<int64_t>(y1, 0, h);
  const auto at = [&](int64_t xx, int64_t yy) { return integral_[static_cast<size_t>(yy) * (w + 1) + xx]; };
  const int64_t sum = at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0);
  return static_cast<double>(sum) / area;
}

double tissue_fraction(const RgbImage& image, const BackgroundThresholds& thresholds) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  if (n == 0) return 0;
  const int saturation_cut = static_cast<int>(std::floor(thresholds.saturation * 255.0));
  const int intensity_cut = max_intensity_for_od(thresholds.optical_density);
  size_t smear = 0;
  for (size_t i = 0; i < n; ++i) smear += is_smear(&image.pixels[i * 3], saturation_cut, intensity_cut);
  return static_cast<double>(smear) / static_cast<double>(n);
}

}  // namespace gramlite::data::wsi
