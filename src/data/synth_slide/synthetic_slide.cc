#include "gramlite/data/synth_slide/synthetic_slide.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "gramlite/base/atomic_file.h"
#include "gramlite/base/temp_paths.h"
#include "data/synth_slide/field_source.h"
#include "data/synth_slide/ground_truth.h"
#include "data/synth_slide/pyramid_tiff_writer.h"
#include "data/synth_slide/slide_layout.h"

namespace gramlite::data::synth_slide {
namespace {

namespace fs = std::filesystem;

// Widest rectangle rendered in one call: bounds the renderer's scratch memory and gives the
// threads work items of similar size.
constexpr int kMaxChunkWidth = 1024;

constexpr int64_t kMaxTiffSide = 0xffffffffLL;           // TIFF's ImageWidth / ImageLength are 32-bit
constexpr int64_t kMaxLabelCells = int64_t{1} << 30;     // 1 GiB of label map
constexpr int64_t kMaxBandBytes = int64_t{1} << 31;      // a band of 256 rows of a 2.8 Mpx-wide slide

struct Rect {
  int64_t x, y;
  int w, h;
  RegionClass region_class;
};

// Splits band rows [y0, y1) into rectangles of one class each (runs of label cells in a row).
std::vector<Rect> band_rects(const SlideLayout& layout, int64_t y0, int64_t y1) {
  std::vector<Rect> rects;
  const int lt = layout.label_tile;
  for (int64_t y = y0; y < y1;) {
    const int row = static_cast<int>(y / lt);
    const int64_t y_end = std::min<int64_t>(y1, int64_t{row + 1} * lt);
    for (int64_t x = 0; x < layout.slide_width;) {
      // A run of cells of one class is one call: fewer calls, less of the renderer's border
      // padding (objects crossing a rectangle's edge are generated on both sides).
      const RegionClass region_class = layout.at(static_cast<int>(x / lt), row);
      int64_t x_end = x;
      while (x_end < layout.slide_width && x_end - x < kMaxChunkWidth &&
             layout.at(static_cast<int>(x_end / lt), row) == region_class) {
        x_end = std::min<int64_t>({layout.slide_width, (x_end / lt + 1) * lt, x + kMaxChunkWidth});
      }
      rects.push_back({x, y, static_cast<int>(x_end - x), static_cast<int>(y_end - y), region_class});
      x = x_end;
    }
    y = y_end;
  }
  return rects;
}

// Renders rows [y0, y1) of level 0 into `band` (width * 3 bytes per row) on the threads of
// `pool`. Rectangles are claimed one at a time; each lands in its own part of the band, so the
// pixels do not depend on the pool; the first error in rectangle order wins.
Status render_band(const SlideLayout& layout, const SyntheticSlideOptions& options, ThreadPool* pool, int64_t y0,
                   int64_t y1, std::vector<uint8_t>& band) {
  const std::vector<Rect> rects = band_rects(layout, y0, y1);
  std::vector<Status> errors(rects.size());
  std::atomic<size_t> next{0};
  run_on_threads(pool, [&](int /*thread_index*/, int /*thread_count*/) {
    for (size_t i = next++; i < rects.size(); i = next++) {
      const Rect& r = rects[i];
      Result<RgbImage> pixels = render_region(r.region_class, options.seed, options.microns_per_pixel, r.x, r.y, r.w, r.h);
      if (!pixels.ok()) {
        errors[i] = pixels.status();
        return;
      }
      for (int row = 0; row < r.h; ++row) {
        std::memcpy(band.data() + (static_cast<size_t>(r.y - y0 + row) * layout.slide_width + r.x) * 3,
                    pixels->pixels.data() + static_cast<size_t>(row) * r.w * 3, static_cast<size_t>(r.w) * 3);
      }
    }
  });
  for (const Status& error : errors) GRAMLITE_RETURN_IF_ERROR(error);
  return Status::Ok();
}

std::string sibling_path(const std::string& slide_path, const std::string& suffix) {
  fs::path path(slide_path);
  return (path.parent_path() / (path.stem().string() + suffix)).string();
}

// Aperio's ImageDescription convention ("Aperio ..." header, then "|key = value" pairs). OpenSlide
// (3.4.1 included, whose generic-TIFF driver ignores resolution tags) turns MPP into
// openslide.mpp-x/y and AppMag into openslide.objective-power for any tiled TIFF written this way,
// and QuPath and other viewers read the same fields, so the slide's scale survives everywhere.
std::string description(const SyntheticSlideOptions& options) {
  return str_cat("Aperio-compatible description written by gramlite (synthetic Gram-stain smear)\r\n",
                 options.width, "x", options.height, " [0,0 ", options.width, "x", options.height, "] (",
                 options.tile_size, "x", options.tile_size, ") JPEG/RGB Q=", options.jpeg_quality,
                 "|AppMag = 100|MPP = ", options.microns_per_pixel, "|Gramlite.Seed = ", options.seed,
                 "|Gramlite.LabelTile = ", options.label_tile_size, "|Gramlite.Renderer = ", field_source_name());
}

}  // namespace

std::string label_map_path_for(const std::string& slide_path) { return sibling_path(slide_path, ".labels.png"); }
std::string regions_path_for(const std::string& slide_path) { return sibling_path(slide_path, ".regions.json"); }

Result<SyntheticSlideFiles> write_synthetic_slide(const SyntheticSlideOptions& options, ThreadPool* pool) {
  if (options.output_path.empty()) return invalid_argument("synthetic slide: no output path");
  if (options.width < 1 || options.height < 1) {
    return invalid_argument("synthetic slide '", options.output_path, "': size ", options.width, "x", options.height,
                            " is not positive");
  }
  if (!(options.microns_per_pixel > 0)) {
    return invalid_argument("synthetic slide '", options.output_path, "': microns per pixel must be > 0");
  }
  if (options.label_tile_size < 1) {
    return invalid_argument("synthetic slide '", options.output_path, "': label tile size must be >= 1");
  }
  // Refuse sizes no TIFF or memory can hold before allocating anything: the label grid is int
  // cols x rows bytes, and the renderer and the writer each hold bands of tile_size full-width rows.
  if (options.width > kMaxTiffSide || options.height > kMaxTiffSide) {
    return invalid_argument("synthetic slide '", options.output_path, "': size ", options.width, "x", options.height,
                            " exceeds TIFF's limit of ", kMaxTiffSide, " px per side");
  }
  const int64_t label_cols = (options.width + options.label_tile_size - 1) / options.label_tile_size;
  const int64_t label_rows = (options.height + options.label_tile_size - 1) / options.label_tile_size;
  if (label_cols * label_rows > kMaxLabelCells) {
    return invalid_argument("synthetic slide '", options.output_path, "': a label map of ", label_cols, "x",
                            label_rows, " cells is too large; raise --label-tile-size");
  }
  const int64_t band_bytes = options.width * std::max(options.tile_size, 1) * 3;
  if (band_bytes > kMaxBandBytes) {
    return invalid_argument("synthetic slide '", options.output_path, "': width ", options.width,
                            " px needs ", band_bytes >> 20, " MiB per band of ", options.tile_size,
                            "-px tile rows (limit ", kMaxBandBytes >> 20, " MiB); make it narrower");
  }
  std::error_code ec;
  const fs::path parent = fs::absolute(options.output_path, ec).parent_path();
  if (!fs::is_directory(parent, ec)) {
    return not_found("synthetic slide '", options.output_path, "': folder '", parent.string(), "' does not exist");
  }
  for (const std::string& target :
       {options.output_path, label_map_path_for(options.output_path), regions_path_for(options.output_path)}) {
    if (fs::is_directory(target, ec)) {
      return invalid_argument("synthetic slide '", options.output_path, "': '", target, "' is a folder");
    }
  }

  const SlideLayout layout = make_slide_layout(options.width, options.height, options.label_tile_size, options.seed);
  SyntheticSlideFiles files;
  files.slide_path = options.output_path;
  files.label_map_path = label_map_path_for(options.output_path);
  files.regions_path = regions_path_for(options.output_path);
  files.label_cols = layout.cols;
  files.label_rows = layout.rows;
  files.renderer = field_source_name();

  // Temporaries beside their targets, so the final renames stay on one filesystem; each goes
  // away on error or interrupt (base/atomic_file.h). The scratch folder is never published.
  GRAMLITE_ASSIGN_OR_RETURN(PendingFile slide_file, PendingFile::create(files.slide_path));
  GRAMLITE_ASSIGN_OR_RETURN(PendingFile labels_file, PendingFile::create(files.label_map_path, ".png"));  // imwrite wants .png
  GRAMLITE_ASSIGN_OR_RETURN(PendingFile regions_file, PendingFile::create(files.regions_path));
  GRAMLITE_ASSIGN_OR_RETURN(const PendingFolder scratch, PendingFolder::create(options.output_path + ".levels"));

  PyramidTiffOptions tiff;
  tiff.path = slide_file.temp_path();
  tiff.scratch_dir = scratch.temp_path();
  tiff.width = options.width;
  tiff.height = options.height;
  tiff.tile_size = options.tile_size;
  tiff.jpeg_quality = options.jpeg_quality;
  tiff.microns_per_pixel = options.microns_per_pixel;
  tiff.description = description(options);
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<PyramidTiffWriter> writer, PyramidTiffWriter::create(tiff));
  files.level_count = writer->level_count();

  std::vector<uint8_t> band(static_cast<size_t>(options.width) * options.tile_size * 3);
  for (int64_t y0 = 0; y0 < options.height; y0 += options.tile_size) {
    const int64_t y1 = std::min<int64_t>(options.height, y0 + options.tile_size);
    GRAMLITE_RETURN_IF_ERROR(render_band(layout, options, pool, y0, y1, band).with_context(
        str_cat("rendering '", options.output_path, "' rows ", y0, "..", y1)));
    GRAMLITE_RETURN_IF_ERROR(writer->append_rows(band.data(), static_cast<int>(y1 - y0)));
  }
  GRAMLITE_RETURN_IF_ERROR(writer->finish());
  writer.reset();

  GroundTruthInfo info;
  info.seed = options.seed;
  info.microns_per_pixel = options.microns_per_pixel;
  info.tile_size = options.tile_size;
  info.level_count = files.level_count;
  info.slide_file = fs::path(options.output_path).filename().string();
  info.renderer = files.renderer;
  // Under the temp write lock: an interrupt removing the temporaries must not see them recreated.
  GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(labels_file.temp_path(),
                                                 [&] { return write_label_map(layout, labels_file.temp_path()); }));
  GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(
      regions_file.temp_path(), [&] { return write_regions_json(layout, info, regions_file.temp_path()); }));

  // Ground truth first, the slide last: a slide on disk always has its labels.
  for (PendingFile* file : {&labels_file, &regions_file, &slide_file}) GRAMLITE_RETURN_IF_ERROR(file->commit());
  return files;
}

}  // namespace gramlite::data::synth_slide
