#include "data/wsi/export_tiles.h"

#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <iomanip>

#include "base/temp_paths.h"

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
                                   const ExportOptions& options) {
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
  const fs::path temp_dir = final_dir.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(temp_dir, ec);
  fs::create_directories(temp_dir, ec);
  if (ec) return io_error("cannot create '", temp_dir.string(), "': ", ec.message());
  struct Cleanup {
    fs::path dir;
    bool keep = false;
    ~Cleanup() {
      std::error_code ignored;
      if (!keep) fs::remove_all(dir, ignored);
    }
  } cleanup{temp_dir};
  const ScopedTempPath interrupt_cleanup(temp_dir.string());  // see base/temp_paths.h

  std::ofstream csv(temp_dir / "tiles.csv");
  if (!csv) return io_error("cannot create '", (temp_dir / "tiles.csv").string(), "'");
  csv << "file,x,y,width,height,level,mpp,tissue_fraction,kept\n" << std::setprecision(6);
  ExportSummary summary;
  int level = 0;
  double mpp = 0;
  const auto write_tile = [&](const Tile& tile) -> Status {
    std::string file;
    if (!tile.image.pixels.empty() && (tile.kept || options.write_rejected)) {
      file = str_cat("tile_x", tile.rect.x, "_y", tile.rect.y, ".png");
      GRAMLITE_RETURN_IF_ERROR(write_png(tile.image, (temp_dir / file).string()));
      ++summary.tiles_written;
    }
    csv << file << ',' << tile.rect.x << ',' << tile.rect.y << ',' << tile.rect.width << ',' << tile.rect.height << ','
        << level << ',' << mpp << ',' << tile.tissue_fraction << ',' << (tile.kept ? 1 : 0) << '\n';
    return Status::Ok();
  };
  level = grid.level;
  mpp = grid.output_mpp;
  GRAMLITE_ASSIGN_OR_RETURN(summary.tiling, for_each_tile(*slide, options.tiling, write_tile, options.write_rejected));
  csv.close();
  if (!csv) return io_error("cannot write '", (temp_dir / "tiles.csv").string(), "'");
  if (fs::exists(final_dir, ec)) fs::remove(final_dir, ec);  // checked empty above
  fs::rename(temp_dir, final_dir, ec);
  if (ec) return io_error("cannot rename '", temp_dir.string(), "' to '", final_dir.string(), "': ", ec.message());
  cleanup.keep = true;
  summary.csv_path = (final_dir / "tiles.csv").string();
  return summary;
}

}  // namespace gramlite::data::wsi
