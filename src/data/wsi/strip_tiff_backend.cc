#include "data/wsi/strip_tiff_backend.h"

#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace gramlite::data::wsi {
namespace {

struct TiffCloser {
  void operator()(TIFF* tif) const {
    if (tif) TIFFClose(tif);
  }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

void quiet_handler(const char*, const char*, va_list) {}

TiffHandle open_quietly(const std::string& path) {
  // libtiff prints to stderr by default; errors come back as return codes instead.
  TIFFSetWarningHandler(quiet_handler);
  TIFFSetErrorHandler(quiet_handler);
  return TiffHandle(TIFFOpen(path.c_str(), "r"));
}

constexpr int64_t kMaxStripPixels = int64_t{1} << 28;

class StripTiffSlide final : public Slide {
 public:
  StripTiffSlide(SlideInfo info, TiffHandle tif, uint32_t rows_per_strip)
      : Slide(std::move(info)), tif_(std::move(tif)), rows_per_strip_(rows_per_strip) {}

  Result<RgbImage> read_region(int level, int64_t x0, int64_t y0, int width, int height) const override {
    GRAMLITE_RETURN_IF_ERROR(check_region(level, width, height));
    const int64_t image_w = this->level(0).width, image_h = this->level(0).height;
    RgbImage out;
    out.width = width;
    out.height = height;
    out.pixels.assign(static_cast<size_t>(width) * height * 3, 255);  // outside: white
    const int64_t left = std::max<int64_t>(x0, 0), right = std::min<int64_t>(x0 + width, image_w);
    const int64_t top = std::max<int64_t>(y0, 0), bottom = std::min<int64_t>(y0 + height, image_h);
    if (left >= right || top >= bottom) return out;
    // libtiff handles are not thread-safe: one reader at a time.
    std::lock_guard<std::mutex> lock(mutex_);
    for (int64_t y = top; y < bottom;) {
      const auto strip_row = static_cast<uint32_t>(y / rows_per_strip_ * rows_per_strip_);
      GRAMLITE_RETURN_IF_ERROR(load_strip(strip_row));
      const int64_t strip_rows = std::min<int64_t>(rows_per_strip_, image_h - strip_row);
      const int64_t end = std::min<int64_t>(bottom, strip_row + strip_rows);
      for (; y < end; ++y) {
        // TIFFReadRGBAStrip stores the strip bottom-up (raster origin at the lower left).
        const uint32_t* src = strip_.data() + static_cast<size_t>(strip_rows - 1 - (y - strip_row)) * image_w;
        uint8_t* dst = out.pixels.data() + (static_cast<size_t>(y - y0) * width + (left - x0)) * 3;
        for (int64_t x = left; x < right; ++x, dst += 3) {
          const uint32_t p = src[x];
          const uint32_t white = 255 - TIFFGetA(p);  // premultiplied alpha over white
          dst[0] = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetR(p) + white));
          dst[1] = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetG(p) + white));
          dst[2] = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetB(p) + white));
        }
      }
    }
    return out;
  }

 private:
  Status load_strip(uint32_t strip_row) const {
    if (loaded_row_ == static_cast<int64_t>(strip_row)) return Status::Ok();
    strip_.resize(static_cast<size_t>(level(0).width) * rows_per_strip_);
    loaded_row_ = -1;
    if (!TIFFReadRGBAStrip(tif_.get(), strip_row, strip_.data())) {
      return corrupt_data("cannot decode the strip at row ", strip_row, " of TIFF '", path(), "'");
    }
    loaded_row_ = strip_row;
    return Status::Ok();
  }

  TiffHandle tif_;
  uint32_t rows_per_strip_;
  mutable std::mutex mutex_;
  mutable std::vector<uint32_t> strip_;
  mutable int64_t loaded_row_ = -1;
};

}  // namespace

Status check_tiff_directory_chain(const std::string& path) {
  TiffHandle tif = open_quietly(path);
  if (!tif) return Status::Ok();  // not a TIFF (or not even its first directory): other checks say so
  for (int directory = 1; !TIFFLastDirectory(tif.get()); ++directory) {
    if (!TIFFReadDirectory(tif.get())) {
      return corrupt_data("TIFF '", path, "' is truncated or corrupt: its directory ", directory,
                          " (image ", directory + 1, ") cannot be read; is the file complete?");
    }
  }
  return Status::Ok();
}

bool is_strip_tiff(const std::string& path) {
  TiffHandle tif = open_quietly(path);
  return tif && !TIFFIsTiled(tif.get());
}

Result<std::unique_ptr<Slide>> open_strip_tiff(const std::string& path) {
  TiffHandle tif = open_quietly(path);
  if (!tif) return corrupt_data("cannot read TIFF '", path, "'");
  uint32_t width = 0, height = 0, rows_per_strip = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height) ||
      width == 0 || height == 0) {
    return corrupt_data("TIFF '", path, "' has no image size");
  }
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
  rows_per_strip = std::min(std::max<uint32_t>(rows_per_strip, 1), height);
  if (int64_t{width} * rows_per_strip > kMaxStripPixels) {
    return unsupported("TIFF '", path, "' has strips of ", rows_per_strip, " rows x ", width,
                       " px, too large to decode one at a time; rewrite it tiled");
  }
  char message[1024] = {0};
  if (!TIFFRGBAImageOK(tif.get(), message)) return unsupported("TIFF '", path, "': ", message);
  SlideInfo info;
  info.path = path;
  info.vendor = "tiff-strips";
  info.levels.push_back({width, height, 1.0});
  uint16_t unit = RESUNIT_NONE;
  float x_res = 0, y_res = 0;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_RESOLUTIONUNIT, &unit);
  if (TIFFGetField(tif.get(), TIFFTAG_XRESOLUTION, &x_res) && TIFFGetField(tif.get(), TIFFTAG_YRESOLUTION, &y_res) &&
      x_res > 0 && y_res > 0 && (unit == RESUNIT_CENTIMETER || unit == RESUNIT_INCH)) {
    const double microns_per_unit = unit == RESUNIT_CENTIMETER ? 1e4 : 25400.0;
    info.mpp_x = microns_per_unit / x_res;
    info.mpp_y = microns_per_unit / y_res;
    info.properties["tiff.XResolution"] = std::to_string(x_res);
    info.properties["tiff.YResolution"] = std::to_string(y_res);
    info.properties["tiff.ResolutionUnit"] = unit == RESUNIT_CENTIMETER ? "centimeter" : "inch";
  }
  // Verify the first strip decodes, so a damaged file fails at open rather than mid-walk.
  auto slide = std::make_unique<StripTiffSlide>(std::move(info), std::move(tif), rows_per_strip);
  GRAMLITE_RETURN_IF_ERROR(slide->read_region(0, 0, 0, 1, 1).status());
  return std::unique_ptr<Slide>(std::move(slide));
}

}  // namespace gramlite::data::wsi
