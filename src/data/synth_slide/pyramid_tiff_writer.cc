#include "data/synth_slide/pyramid_tiff_writer.h"

#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "gramlite/base/temp_paths.h"

namespace gramlite::data::synth_slide {
namespace {

struct TiffCloser {
  void operator()(TIFF* tif) const {
    if (tif) TIFFClose(tif);
  }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

// libtiff reports through global handlers; silence them (errors come back as return codes and
// are turned into Status with the file name).
void quiet_handler(const char*, const char*, va_list) {}

// One pyramid level being streamed: its TIFF and one band of tile_size rows.
struct Level {
  int64_t width = 0;
  int64_t height = 0;
  double microns_per_pixel = 0;
  std::string path;
  TiffHandle tif;
  std::vector<uint8_t> band;  // tile_size rows of width * 3
  std::vector<uint8_t> halved;  // the band halved for the next level
  int band_rows = 0;          // rows filled in the band
  int64_t rows_done = 0;      // rows already encoded
};

Status set_level_tags(TIFF* tif, const Level& level, int level_index, const PyramidTiffOptions& options,
                      bool self_contained_tiles) {
  bool ok = TIFFSetField(tif, TIFFTAG_SUBFILETYPE, level_index == 0 ? 0 : FILETYPE_REDUCEDIMAGE) &&
            TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(level.width)) &&
            TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(level.height)) &&
            TIFFSetField(tif, TIFFTAG_TILEWIDTH, static_cast<uint32_t>(options.tile_size)) &&
            TIFFSetField(tif, TIFFTAG_TILELENGTH, static_cast<uint32_t>(options.tile_size)) &&
            TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8) && TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3) &&
            TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
            TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_JPEG) &&
            TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR) &&
            TIFFSetField(tif, TIFFTAG_YCBCRSUBSAMPLING, 2, 2) &&
            TIFFSetField(tif, TIFFTAG_JPEGQUALITY, options.jpeg_quality) &&
            // We hand libtiff RGB; it converts to YCbCr 4:2:0 (what scanners write).
            TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
  // Side-file tiles carry their own tables so they can be copied byte for byte into the output
  // without a JPEGTables tag to reconcile.
  if (ok && self_contained_tiles) ok = TIFFSetField(tif, TIFFTAG_JPEGTABLESMODE, 0);
  if (ok && level.microns_per_pixel > 0) {
    const float pixels_per_cm = static_cast<float>(1e4 / level.microns_per_pixel);
    ok = TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER) &&
         TIFFSetField(tif, TIFFTAG_XRESOLUTION, pixels_per_cm) && TIFFSetField(tif, TIFFTAG_YRESOLUTION, pixels_per_cm);
  }
  if (ok && level_index == 0 && !options.description.empty()) {
    ok = TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, options.description.c_str());
  }
  if (ok) ok = TIFFSetField(tif, TIFFTAG_SOFTWARE, "gramlite synthetic slide");
  if (!ok) return io_error("cannot set the TIFF tags of level ", level_index, " in '", options.path, "'");
  return Status::Ok();
}

// Halves `rows` rows of RGB (width src_w) into (rows+1)/2 rows of width (src_w+1)/2 by 2x2 box
// averaging; the odd last row / column is paired with itself.
void halve(const uint8_t* src, int64_t src_w, int rows, uint8_t* dst) {
  const int64_t dst_w = (src_w + 1) / 2;
  const int dst_rows = (rows + 1) / 2;
  for (int y = 0; y < dst_rows; ++y) {
    const uint8_t* r0 = src + static_cast<size_t>(2 * y) * src_w * 3;
    const uint8_t* r1 = (2 * y + 1 < rows) ? r0 + src_w * 3 : r0;
    uint8_t* out = dst + static_cast<size_t>(y) * dst_w * 3;
    for (int64_t x = 0; x < dst_w; ++x) {
      const int64_t x0 = 2 * x;
      const int64_t x1 = std::min(x0 + 1, src_w - 1);
      for (int c = 0; c < 3; ++c) {
        const int sum = r0[x0 * 3 + c] + r0[x1 * 3 + c] + r1[x0 * 3 + c] + r1[x1 * 3 + c];
        out[x * 3 + c] = static_cast<uint8_t>((sum + 2) / 4);
      }
    }
  }
}

}  // namespace

int pyramid_level_count(int64_t width, int64_t height, int min_level_size) {
  int levels = 1;
  while (std::max(width, height) >= min_level_size && std::min(width, height) > 1) {
    width = (width + 1) / 2;
    height = (height + 1) / 2;
    ++levels;
  }
  return levels;
}

struct PyramidTiffWriter::Impl {
  PyramidTiffOptions options;
  std::vector<Level> levels;
  std::vector<uint8_t> tile;       // one tile, reused
  bool finished = false;

  Status encode_band(int index) {
    Level& level = levels[index];
    const int ts = options.tile_size;
    const int64_t tiles_across = (level.width + ts - 1) / ts;
    const auto tile_row = static_cast<uint32_t>(level.rows_done);
    for (int64_t t = 0; t < tiles_across; ++t) {
      // Copy the tile out of the band; the part beyond the image edge is white.
      std::fill(tile.begin(), tile.end(), 255);
      const int64_t x0 = t * ts;
      const int64_t copy_w = std::min<int64_t>(ts, level.width - x0);
      for (int y = 0; y < level.band_rows; ++y) {
        std::memcpy(tile.data() + static_cast<size_t>(y) * ts * 3,
                    level.band.data() + (static_cast<size_t>(y) * level.width + x0) * 3, copy_w * 3);
      }
      const uint32_t tile_index = TIFFComputeTile(level.tif.get(), static_cast<uint32_t>(x0), tile_row, 0, 0);
      if (TIFFWriteEncodedTile(level.tif.get(), tile_index, tile.data(), static_cast<tmsize_t>(tile.size())) < 0) {
        return io_error("cannot write tile ", tile_index, " of level ", index, " to '", level.path, "' (disk full?)");
      }
    }
    level.rows_done += level.band_rows;
    const int rows = level.band_rows;
    level.band_rows = 0;
    if (index + 1 < static_cast<int>(levels.size())) {
      // Each level halves into its own buffer: the next level's push may halve again.
      std::vector<uint8_t>& next_rows = level.halved;
      next_rows.resize(static_cast<size_t>((rows + 1) / 2) * levels[index + 1].width * 3);
      halve(level.band.data(), level.width, rows, next_rows.data());
      return push(index + 1, next_rows.data(), (rows + 1) / 2);
    }
    return Status::Ok();
  }

  Status push(int index, const uint8_t* pixels, int rows) {
    Level& level = levels[index];
    const size_t row_bytes = static_cast<size_t>(level.width) * 3;
    while (rows > 0) {
      if (level.rows_done + level.band_rows >= level.height) {
        return internal_error("more rows than level ", index, " of '", options.path, "' holds");
      }
      const int take = std::min(rows, options.tile_size - level.band_rows);
      std::memcpy(level.band.data() + level.band_rows * row_bytes, pixels, take * row_bytes);
      level.band_rows += take;
      pixels += take * row_bytes;
      rows -= take;
      if (level.band_rows == options.tile_size || level.rows_done + level.band_rows == level.height) {
        GRAMLITE_RETURN_IF_ERROR(encode_band(index));
      }
    }
    return Status::Ok();
  }

  // Appends a finished side file's level to the output as a new directory, copying the
  // compressed tiles as they are.
  Status append_level(int index) {
    Level& level = levels[index];
    TIFF* out = levels[0].tif.get();
    TiffHandle in(TIFFOpen(level.path.c_str(), "r"));
    if (!in) return io_error("cannot reopen the temporary level file '", level.path, "'");
    GRAMLITE_RETURN_IF_ERROR(set_level_tags(out, level, index, options, /*self_contained_tiles=*/true));
    const uint32_t tiles = TIFFNumberOfTiles(in.get());
    std::vector<uint8_t> raw;
    uint64_t* byte_counts = nullptr;
    if (!TIFFGetField(in.get(), TIFFTAG_TILEBYTECOUNTS, &byte_counts) || !byte_counts) {
      return corrupt_data("temporary level file '", level.path, "' has no tile byte counts");
    }
    for (uint32_t t = 0; t < tiles; ++t) {
      raw.resize(byte_counts[t]);
      const tmsize_t got = TIFFReadRawTile(in.get(), t, raw.data(), static_cast<tmsize_t>(raw.size()));
      if (got < 0 || TIFFWriteRawTile(out, t, raw.data(), got) != got) {
        return io_error("cannot copy tile ", t, " of level ", index, " into '", options.path, "'");
      }
    }
    if (!TIFFWriteDirectory(out)) return io_error("cannot write level ", index, " of '", options.path, "'");
    in.reset();
    std::error_code ec;
    std::filesystem::remove(level.path, ec);
    return Status::Ok();
  }
};

PyramidTiffWriter::PyramidTiffWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PyramidTiffWriter::~PyramidTiffWriter() {
  if (!impl_) return;
  for (Level& level : impl_->levels) {
    level.tif.reset();
    if (&level != &impl_->levels[0]) {
      std::error_code ec;
      std::filesystem::remove(level.path, ec);
    }
  }
}

int PyramidTiffWriter::level_count() const { return static_cast<int>(impl_->levels.size()); }

Result<std::unique_ptr<PyramidTiffWriter>> PyramidTiffWriter::create(const PyramidTiffOptions& options) {
  if (options.width < 1 || options.height < 1 || options.width > 0xffffffffLL || options.height > 0xffffffffLL) {
    return invalid_argument("slide size ", options.width, "x", options.height, " is out of range");
  }
  if (options.tile_size < 16 || options.tile_size % 16 != 0) {
    return invalid_argument("TIFF tile size ", options.tile_size, " is not a positive multiple of 16");
  }
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    return invalid_argument("JPEG quality ", options.jpeg_quality, " is outside 1..100");
  }
  TIFFSetWarningHandler(quiet_handler);
  TIFFSetErrorHandler(quiet_handler);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const int count = pyramid_level_count(options.width, options.height, options.min_level_size);
  // BigTIFF once the (compressed) file could pass 4 GiB; plain TIFF otherwise, which every
  // reader handles. Raw size / 4 is a generous bound for JPEG at any sane quality.
  const bool big = options.width * options.height * 3 / 4 > (int64_t{1} << 31);
  int64_t w = options.width, h = options.height;
  double mpp = options.microns_per_pixel;
  for (int i = 0; i < count; ++i) {
    Level level;
    level.width = w;
    level.height = h;
    level.microns_per_pixel = mpp;
    level.path = i == 0 ? options.path
                        : (std::filesystem::path(options.scratch_dir) / ("level" + std::to_string(i) + ".tif")).string();
    // Under the temp write lock: the files are temporaries an interrupt may be removing.
    GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(level.path, [&] {
      level.tif.reset(TIFFOpen(level.path.c_str(), big ? "w8" : "w"));
      return level.tif ? Status::Ok() : io_error("cannot create '", level.path, "'");
    }));
    GRAMLITE_RETURN_IF_ERROR(set_level_tags(level.tif.get(), level, i, options, /*self_contained_tiles=*/i > 0));
    level.band.resize(static_cast<size_t>(w) * options.tile_size * 3);
    impl->levels.push_back(std::move(level));
    w = (w + 1) / 2;
    h = (h + 1) / 2;
    mpp *= 2;
  }
  impl->tile.resize(static_cast<size_t>(options.tile_size) * options.tile_size * 3);
  return std::unique_ptr<PyramidTiffWriter>(new PyramidTiffWriter(std::move(impl)));
}

Status PyramidTiffWriter::append_rows(const uint8_t* pixels, int rows) {
  if (impl_->finished) return internal_error("append_rows after finish on '", impl_->options.path, "'");
  return impl_->push(0, pixels, rows);
}

Status PyramidTiffWriter::finish() {
  Impl& impl = *impl_;
  for (size_t i = 0; i < impl.levels.size(); ++i) {
    if (impl.levels[i].rows_done != impl.levels[i].height) {
      return internal_error("level ", i, " of '", impl.options.path, "' got ", impl.levels[i].rows_done, " of ",
                            impl.levels[i].height, " rows");
    }
  }
  impl.finished = true;
  // Close the side files (writes their directories), then append them to the output.
  for (size_t i = 1; i < impl.levels.size(); ++i) impl.levels[i].tif.reset();
  if (!TIFFWriteDirectory(impl.levels[0].tif.get())) return io_error("cannot write level 0 of '", impl.options.path, "'");
  for (size_t i = 1; i < impl.levels.size(); ++i) GRAMLITE_RETURN_IF_ERROR(impl.append_level(static_cast<int>(i)));
  impl.levels[0].tif.reset();  // TIFFClose flushes
  return Status::Ok();
}

}  // namespace gramlite::data::synth_slide
