// Writing a slide's tiles to a folder: one PNG per kept tile plus tiles.csv describing every
// tile of the grid (kept or not), for training sets and for inspection.
#pragma once

#include <string>

#include "base/status.h"
#include "data/wsi/tiler.h"

namespace gramlite::data::wsi {

struct ExportOptions {
  TilingOptions tiling;
  bool write_rejected = false;  // also write PNGs of background tiles
};

struct ExportSummary {
  TilingSummary tiling;
  int64_t tiles_written = 0;
  std::string csv_path;
};

// Tiles are named "tile_x<X>_y<Y>.png" with X, Y the level-0 top-left corner. tiles.csv has the
// header "file,x,y,width,height,level,mpp,tissue_fraction,kept" (x..height in level-0 pixels,
// mpp = output microns per pixel or 0 if unknown, file empty when no PNG was written).
// Atomic: everything is written into "<out_dir>.tmp-<pid>" and renamed to out_dir at the end;
// out_dir must not exist yet or be empty. On error nothing is left behind.
Result<ExportSummary> export_tiles(const std::string& slide_path, const std::string& out_dir,
                                   const ExportOptions& options);

}  // namespace gramlite::data::wsi
