// A whole-slide image: a pyramid of levels, read one region at a time.
//
// Backends (chosen by open_slide): OpenSlide for everything it recognises (Aperio .svs,
// Hamamatsu .ndpi, MIRAX .mrxs, Leica .scn, Ventana, Philips, generic tiled TIFF, ...), and
// plain images (PNG, JPEG, BMP, untiled TIFF) as a one-level slide through OpenCV. No OpenSlide,
// libtiff or OpenCV type appears here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/data/image.h"

namespace gramlite::data::wsi {

struct SlideLevel {
  int64_t width = 0;   // pixels of this level
  int64_t height = 0;
  double downsample = 1;  // level-0 pixels per pixel of this level (1 for level 0)
};

struct SlideInfo {
  std::string path;
  std::string vendor;  // OpenSlide's vendor ("aperio", "generic-tiff", ...) or "image"
  std::vector<SlideLevel> levels;
  // Level-0 microns per pixel, 0 when unknown. From openslide.mpp-x/y, else from the TIFF
  // resolution tags (tiff.XResolution with tiff.ResolutionUnit inch or centimeter).
  double mpp_x = 0;
  double mpp_y = 0;
  std::map<std::string, std::string> properties;  // every property the backend reports
};

class Slide {
 public:
  virtual ~Slide() = default;

  const SlideInfo& info() const { return info_; }
  const std::string& path() const { return info_.path; }
  int level_count() const { return static_cast<int>(info_.levels.size()); }
  const SlideLevel& level(int index) const { return info_.levels.at(static_cast<size_t>(index)); }
  bool has_mpp() const { return info_.mpp_x > 0 && info_.mpp_y > 0; }
  // Mean of mpp_x and mpp_y (0 when unknown): the tiler treats pixels as square.
  double microns_per_pixel() const { return has_mpp() ? 0.5 * (info_.mpp_x + info_.mpp_y) : 0.0; }

  // Reads width x height pixels of `level` whose top-left corner is (x0, y0) in LEVEL-0
  // coordinates (OpenSlide's convention). Pixels outside the slide, and transparent ones, come
  // back white, as glass looks. Thread-safe: tiles may be read from several threads.
  virtual Result<RgbImage> read_region(int level, int64_t x0, int64_t y0, int width, int height) const = 0;

 protected:
  explicit Slide(SlideInfo info) : info_(std::move(info)) {}
  Status check_region(int level, int width, int height) const;

 private:
  SlideInfo info_;
};

// Opens `path` with the first backend that accepts it. Errors name the file and say which
// problem it has: missing (kNotFound), not a slide or image we know (kUnsupported), corrupt
// (kCorruptData, with OpenSlide's own message).
Result<std::unique_ptr<Slide>> open_slide(const std::string& path);

}  // namespace gramlite::data::wsi
