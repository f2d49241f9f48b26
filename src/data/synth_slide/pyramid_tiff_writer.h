// Streams an RGB image, top to bottom, into a tiled, pyramidal, JPEG-compressed TIFF whose
// memory use does not depend on the image height.
//
// Why side files: a TIFF's directories (one per level) are written one after another, but the
// levels of a streamed pyramid complete together. Level 0 is encoded straight into the output;
// each reduced level is encoded into its own temporary TIFF as its rows arrive, and finish()
// appends those levels to the output by copying their compressed tiles (no second JPEG pass).
// Each level keeps one band of tile_size rows; a full band is encoded, then halved (2x2 box
// average) into the next level's band. Peak memory ~ 2 * width * tile_size * 3 bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gramlite/base/status.h"

namespace gramlite::data::synth_slide {

struct PyramidTiffOptions {
  std::string path;         // the output file (written as given; the caller renames)
  std::string scratch_dir;  // where the reduced levels' side files go (same filesystem is best)
  int64_t width = 0;
  int64_t height = 0;
  int tile_size = 256;        // TIFF tile edge, a multiple of 16
  int jpeg_quality = 85;
  double microns_per_pixel = 0;  // level 0; > 0 writes resolution tags (pixels per cm)
  int min_level_size = 1024;     // add levels /2, /4, ... until both sides are below this
  std::string description;       // ImageDescription of level 0
};

// Number of levels the writer produces for this size: level 0 plus halvings until the longer
// side is below min_level_size.
int pyramid_level_count(int64_t width, int64_t height, int min_level_size);

class PyramidTiffWriter {
 public:
  static Result<std::unique_ptr<PyramidTiffWriter>> create(const PyramidTiffOptions& options);
  ~PyramidTiffWriter();
  PyramidTiffWriter(const PyramidTiffWriter&) = delete;
  PyramidTiffWriter& operator=(const PyramidTiffWriter&) = delete;

  // Appends `rows` full rows of level 0 (RGB, width * 3 bytes each, contiguous).
  Status append_rows(const uint8_t* pixels, int rows);
  // After all rows: writes every level's directory and closes the file.
  Status finish();

  int level_count() const;

 private:
  struct Impl;
  explicit PyramidTiffWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gramlite::data::synth_slide
