// Writing a slide's tiles to a folder: one PNG per kept tile plus tiles.csv describing every
// tile of the grid (kept or not), for training sets and for inspection.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/data/wsi/tiler.h"

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
// Atomic (base/atomic_file.h, PendingFolder): everything is written into a hidden temporary
// folder beside out_dir and renamed to out_dir at the end; out_dir must not exist yet or be
// empty. On error or interrupt nothing is left behind. Tiles are read on `pool` (borrowed;
// nullptr = the caller's thread); the files do not depend on it.
Result<ExportSummary> export_tiles(const std::string& slide_path, const std::string& out_dir,
                                   const ExportOptions& options, ThreadPool* pool = nullptr);

}  // namespace gramlite::data::wsi
