// Cutting a slide into model-sized tiles at a chosen resolution, streamed with bounded memory.
//
// Resolution: microns_per_pixel if given; else magnification, converted as mpp = 10 /
// magnification (the usual 10 um/px at 1x: 20x = 0.5, 40x = 0.25 um/px); else level 0. Without
// a known slide mpp, both fall back to level 0 (TileGrid::mpp_known = false says so).
// Level: the one with the largest downsample not exceeding the wanted one; the region is read
// there and shrunk to the tile size with area averaging (OpenCV INTER_AREA).
// Grid: tile_size and stride are in output pixels; tiles start at 0 and advance by stride. At
// stride == tile_size the tiles cover the grid exactly once: adjacent tiles share their level-0
// edge coordinate (both are rounded from the same output coordinate). Edge tiles that would
// stick out of the slide are dropped (default) or kept and padded with white.
#pragma once

#include <cstdint>
#include <functional>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/image.h"
#include "gramlite/data/wsi/background.h"
#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

enum class EdgeTiles { kDrop, kPadWhite };

struct TilingOptions {
  double microns_per_pixel = 0;  // output resolution; 0 = from magnification, else level 0
  double magnification = 0;      // used when microns_per_pixel == 0: mpp = 10 / magnification
  int tile_size = 224;           // output pixels
  int stride = 0;                // output pixels between tile origins; 0 = tile_size
  EdgeTiles edge_tiles = EdgeTiles::kDrop;
  bool reject_background = true;
  BackgroundOptions background;
};

struct TileGrid {
  bool mpp_known = false;
  double output_mpp = 0;         // microns per output pixel (0 when unknown)
  double downsample = 1;         // level-0 pixels per output pixel
  int level = 0;                 // pyramid level read
  double level_downsample = 1;
  int64_t output_width = 0;      // the slide in output pixels
  int64_t output_height = 0;
  int tile_size = 0;
  int stride = 0;
  int64_t cols = 0;
  int64_t rows = 0;
  int64_t tile_count() const { return cols * rows; }
};

// Where one tile lies, in level-0 pixels.
struct TileRect {
  int64_t col = 0, row = 0;
  int64_t x = 0, y = 0, width = 0, height = 0;
};

struct Tile {
  TileRect rect;
  double tissue_fraction = 1;  // from the thumbnail mask (1 when rejection is off)
  bool kept = true;
  RgbImage image;              // tile_size x tile_size; empty for rejected tiles unless asked
};

struct TilingSummary {
  TileGrid grid;
  BackgroundThresholds thresholds;  // zero when reject_background is off
  int64_t tiles_total = 0;
  int64_t tiles_kept = 0;
};

Result<TileGrid> plan_tile_grid(const Slide& slide, const TilingOptions& options);
TileRect tile_rect(const TileGrid& grid, int64_t col, int64_t row);
// Reads one tile: region at grid.level, shrunk to tile_size x tile_size (outside = white).
Result<RgbImage> read_tile(const Slide& slide, const TileGrid& grid, const TileRect& rect);

// Called once per tile, row-major, on the calling thread. A non-OK status stops the walk and is
// returned. The Tile (and its image) is valid only during the call.
using TileCallback = std::function<Status(const Tile& tile)>;

// Walks the grid one row of tiles at a time (at most cols tiles in memory), reading kept tiles
// on the threads of `pool` (borrowed; nullptr = the caller's thread); rejected tiles are read too
// when read_rejected is true. The tiles and the callback's order do not depend on the pool.
Result<TilingSummary> for_each_tile(const Slide& slide, const TilingOptions& options, const TileCallback& callback,
                                    bool read_rejected = false, ThreadPool* pool = nullptr);

}  // namespace gramlite::data::wsi
