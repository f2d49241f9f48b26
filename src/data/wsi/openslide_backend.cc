#include "data/wsi/openslide_backend.h"

#include <openslide.h>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace gramlite::data::wsi {
namespace {

struct OpenSlideCloser {
  void operator()(openslide_t* osr) const {
    if (osr) openslide_close(osr);
  }
};
using OpenSlideHandle = std::unique_ptr<openslide_t, OpenSlideCloser>;

double parse_double(const std::map<std::string, std::string>& properties, const std::string& key) {
  const auto it = properties.find(key);
  if (it == properties.end()) return 0;
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  return (end != it->second.c_str() && std::isfinite(value) && value > 0) ? value : 0;
}

// Microns per pixel from the TIFF resolution tags (pixels per unit), for TIFFs whose vendor
// module does not already report openslide.mpp-x.
double mpp_from_resolution(const std::map<std::string, std::string>& properties, const char* tag) {
  const double pixels_per_unit = parse_double(properties, tag);
  const auto unit = properties.find("tiff.ResolutionUnit");
  if (pixels_per_unit <= 0 || unit == properties.end()) return 0;
  if (unit->second == "centimeter") return 1e4 / pixels_per_unit;
  if (unit->second == "inch") return 25400.0 / pixels_per_unit;
  return 0;  // "none": no physical size
}

class OpenSlideSlide final : public Slide {
 public:
  OpenSlideSlide(SlideInfo info, OpenSlideHandle osr) : Slide(std::move(info)), osr_(std::move(osr)) {}

  Result<RgbImage> read_region(int level, int64_t x0, int64_t y0, int width, int height) const override {
    GRAMLITE_RETURN_IF_ERROR(check_region(level, width, height));
    std::vector<uint32_t> argb(static_cast<size_t>(width) * height);
    // OpenSlide is thread-safe for reads on one handle.
    openslide_read_region(osr_.get(), argb.data(), x0, y0, level, width, height);
    if (const char* error = openslide_get_error(osr_.get())) {
      return corrupt_data("reading slide '", path(), "' level ", level, " at (", x0, ", ", y0, "): ", error);
    }
    RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.resize(argb.size() * 3);
    uint8_t* out = image.pixels.data();
    for (const uint32_t p : argb) {
      // Premultiplied ARGB: composite over white by adding the uncovered share of white.
      const uint32_t white = 255 - (p >> 24);
      out[0] = static_cast<uint8_t>(std::min<uint32_t>(255, ((p >> 16) & 255) + white));
      out[1] = static_cast<uint8_t>(std::min<uint32_t>(255, ((p >> 8) & 255) + white));
      out[2] = static_cast<uint8_t>(std::min<uint32_t>(255, (p & 255) + white));
      out += 3;
    }
    return image;
  }

 private:
  OpenSlideHandle osr_;
};

}  // namespace

bool openslide_recognises(const std::string& path) { return openslide_detect_vendor(path.c_str()) != nullptr; }

Result<std::unique_ptr<Slide>> open_with_openslide(const std::string& path) {
  OpenSlideHandle osr(openslide_open(path.c_str()));
  if (!osr) return unsupported("'", path, "' is not a format OpenSlide can open");
  if (const char* error = openslide_get_error(osr.get())) {
    return corrupt_data("slide '", path, "' is corrupt or incomplete: ", error);
  }
  SlideInfo info;
  info.path = path;
  const char* vendor = openslide_detect_vendor(path.c_str());
  info.vendor = vendor ? vendor : "unknown";
  for (const char* const* name = openslide_get_property_names(osr.get()); name && *name; ++name) {
    const char* value = openslide_get_property_value(osr.get(), *name);
    info.properties[*name] = value ? value : "";
  }
  const int32_t levels = openslide_get_level_count(osr.get());
  if (levels < 1) return corrupt_data("slide '", path, "' has no levels: ", openslide_get_error(osr.get()) ? openslide_get_error(osr.get()) : "");
  for (int32_t i = 0; i < levels; ++i) {
    SlideLevel level;
    openslide_get_level_dimensions(osr.get(), i, &level.width, &level.height);
    level.downsample = openslide_get_level_downsample(osr.get(), i);
    if (level.width < 1 || level.height < 1 || !(level.downsample > 0)) {
      return corrupt_data("slide '", path, "' level ", i, " has no size");
    }
    info.levels.push_back(level);
  }
  info.mpp_x = parse_double(info.properties, OPENSLIDE_PROPERTY_NAME_MPP_X);
  info.mpp_y = parse_double(info.properties, OPENSLIDE_PROPERTY_NAME_MPP_Y);
  if (info.mpp_x <= 0 || info.mpp_y <= 0) {
    info.mpp_x = mpp_from_resolution(info.properties, "tiff.XResolution");
    info.mpp_y = mpp_from_resolution(info.properties, "tiff.YResolution");
  }
  if (info.mpp_x <= 0 || info.mpp_y <= 0) info.mpp_x = info.mpp_y = 0;
  return std::unique_ptr<Slide>(new OpenSlideSlide(std::move(info), std::move(osr)));
}

}  // namespace gramlite::data::wsi
