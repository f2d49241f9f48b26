#include "gramlite/data/wsi/export_tiles.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <iomanip>

#include "gramlite/base/atomic_file.h"
#include "gramlite/base/temp_paths.h"

namespace gramlite::data::wsi {
namespace {

namespace fs = std::filesystem;

Status write_png(const RgbImage& image, const std::string& path) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  try {
    if (cv::imwrite(path, bgr)) return Status::Ok();
  } catch (const cv::Exception& e) {
    return io_error("cannot write tile '", path, "': ", e.what());
  }
  return io_error("cannot write tile '", path, "'");
}

}  // namespace

Result<ExportSummary> export_tiles(const std::string& slide_path, const std::string& out_dir,
                                   const ExportOptions& options, ThreadPool* pool) {
  std::error_code ec;
  if (fs::exists(out_dir, ec)) {
    if (!fs::is_directory(out_dir, ec)) return invalid_argument("output '", out_dir, "' exists and is not a folder");
    if (!fs::is_empty(out_dir, ec)) return invalid_argument("output folder '", out_dir, "' exists and is not empty");
  }
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<Slide> slide, open_slide(slide_path));
  // The grid is planned again inside for_each_tile; plan it here too for the CSV columns, and to
  // refuse a grid without a single tile before anything is written.
  GRAMLITE_ASSIGN_OR_RETURN(const TileGrid grid, plan_tile_grid(*slide, options.tiling));
  if (grid.tile_count() == 0) {
    return invalid_argument("slide '", slide_path, "' is ", grid.output_width, "x", grid.output_height,
                            " px at the output resolution, smaller than one ", grid.tile_size, "x", grid.tile_size,
                            " tile: no tile to write (use a smaller tile size, a finer resolution, or pad the edges)");
  }
  fs::path final_dir = fs::path(out_dir).lexically_normal();
  // "out/" -> "out": the temporary folder must be a sibling of the output, not inside it.
  if (!final_dir.has_filename()) final_dir = final_dir.parent_path();
  if (final_dir.empty() || final_dir.filename() == "." || final_dir.filename() == "..") {
    return invalid_argument("output '", out_dir, "' does not name a folder to create");
  }
  // Missing parent folders are created, as before the writes became atomic.
  if (const fs::path parent = fs::path(final_dir).parent_path(); !parent.empty()) {
    std::error_code parent_error;
    fs::create_directories(parent, parent_error);
    if (parent_error) return io_error("cannot create '", parent.string(), "': ", parent_error.message());
  }
  GRAMLITE_ASSIGN_OR_RETURN(PendingFolder folder, PendingFolder::create(final_dir.string()));
  const fs::path temp_dir = folder.temp_path();

  // Every file in the temporary folder is created under the temp write lock, so that an
  // interrupt removing the folder never races with a tile being written (base/temp_paths.h).
  const std::string csv_path = (temp_dir / "tiles.csv").string();
  std::ofstream csv;
  GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(csv_path, [&] {
    csv.open(csv_path);
    return csv ? Status::Ok() : io_error("cannot create '", csv_path, "'");
  }));
  csv << "file,x,y,width,height,level,mpp,tissue_fraction,kept\n" << std::setprecision(6);
  ExportSummary summary;
  const int level = grid.level;
  const double mpp = grid.output_mpp;
  const auto write_tile = [&](const Tile& tile) -> Status {
    std::string file;
    if (!tile.image.pixels.empty() && (tile.kept || options.write_rejected)) {
      file = str_cat("tile_x", tile.rect.x, "_y", tile.rect.y, ".png");
      const std::string png_path = (temp_dir / file).string();
      GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(png_path, [&] { return write_png(tile.image, png_path); }));
      ++summary.tiles_written;
    }
    csv << file << ',' << tile.rect.x << ',' << tile.rect.y << ',' << tile.rect.width << ',' << tile.rect.height << ','
        << level << ',' << mpp << ',' << tile.tissue_fraction << ',' << (tile.kept ? 1 : 0) << '\n';
    return Status::Ok();
  };
  GRAMLITE_ASSIGN_OR_RETURN(summary.tiling,
                            for_each_tile(*slide, options.tiling, write_tile, options.write_rejected, pool));
  csv.close();
  if (!csv) return io_error("cannot write '", csv_path, "'");
  GRAMLITE_RETURN_IF_ERROR(folder.commit());
  summary.csv_path = (final_dir / "tiles.csv").string();
  return summary;
}

}  // namespace gramlite::data::wsi
