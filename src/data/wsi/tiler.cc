#include "gramlite/data/wsi/tiler.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "data/wsi/level_choice.h"

namespace gramlite::data::wsi {
namespace {

int64_t tiles_along(int64_t extent, int size, int stride, EdgeTiles edge) {
  if (edge == EdgeTiles::kDrop) return extent >= size ? (extent - size) / stride + 1 : 0;
  if (extent <= size) return extent > 0 ? 1 : 0;
  return (extent - size + stride - 1) / stride + 1;
}

}  // namespace

Result<TileGrid> plan_tile_grid(const Slide& slide, const TilingOptions& options) {
  if (options.tile_size < 1) return invalid_argument("tile size ", options.tile_size, " must be >= 1");
  if (options.stride < 0) return invalid_argument("tile stride ", options.stride, " must be >= 0");
  if (options.microns_per_pixel < 0 || options.magnification < 0) {
    return invalid_argument("microns per pixel and magnification must not be negative");
  }
  TileGrid grid;
  grid.tile_size = options.tile_size;
  grid.stride = options.stride > 0 ? options.stride : options.tile_size;
  double wanted_mpp = options.microns_per_pixel;
  if (wanted_mpp == 0 && options.magnification > 0) wanted_mpp = 10.0 / options.magnification;
  grid.mpp_known = slide.has_mpp();
  if (grid.mpp_known) {
    const double slide_mpp = slide.microns_per_pixel();
    // Without a wanted resolution, tile level 0 at its own mpp. Never upsample past level 0.
    grid.downsample = wanted_mpp > 0 ? std::max(1.0, wanted_mpp / slide_mpp) : 1.0;
    grid.output_mpp = slide_mpp * grid.downsample;
  }
  grid.level = best_level_for_downsample(slide, grid.downsample);
  grid.level_downsample = slide.level(grid.level).downsample;
  const SlideLevel& base = slide.level(0);
  const auto extent = [&](int64_t level0) {
    const double out = static_cast<double>(level0) / grid.downsample;
    // Drop keeps only whole tiles inside; padding covers every level-0 pixel.
    return static_cast<int64_t>(options.edge_tiles == EdgeTiles::kDrop ? std::floor(out + 1e-9) : std::ceil(out - 1e-9));
  };
  grid.output_width = extent(base.width);
  grid.output_height = extent(base.height);
  grid.cols = tiles_along(grid.output_width, grid.tile_size, grid.stride, options.edge_tiles);
  grid.rows = tiles_along(grid.output_height, grid.tile_size, grid.stride, options.edge_tiles);
  return grid;
}

TileRect tile_rect(const TileGrid& grid, int64_t col, int64_t row) {
  TileRect rect;
  rect.col = col;
  rect.row = row;
  const auto to_level0 = [&](int64_t out) { return static_cast<int64_t>(std::llround(static_cast<double>(out) * grid.downsample)); };
  rect.x = to_level0(col * grid.stride);
  rect.y = to_level0(row * grid.stride);
  rect.width = to_level0(col * grid.stride + grid.tile_size) - rect.x;
  rect.height = to_level0(row * grid.stride + grid.tile_size) - rect.y;
  return rect;
}

Result<RgbImage> read_tile(const Slide& slide, const TileGrid& grid, const TileRect& rect) {
  const double ds = grid.level_downsample;
  const int w = std::max(1, static_cast<int>(std::llround(static_cast<double>(rect.width) / ds)));
  const int h = std::max(1, static_cast<int>(std::llround(static_cast<double>(rect.height) / ds)));
  GRAMLITE_ASSIGN_OR_RETURN(RgbImage region, slide.read_region(grid.level, rect.x, rect.y, w, h));
  if (w == grid.tile_size && h == grid.tile_size) return region;
  RgbImage tile;
  tile.width = tile.height = grid.tile_size;
  tile.pixels.resize(static_cast<size_t>(grid.tile_size) * grid.tile_size * 3);
  const cv::Mat in(h, w, CV_8UC3, region.pixels.data());
  cv::Mat out(grid.tile_size, grid.tile_size, CV_8UC3, tile.pixels.data());
  // INTER_AREA averages when shrinking (no aliasing of small organisms); it falls back to
  // linear when the level is slightly coarser than wanted.
  cv::resize(in, out, out.size(), 0, 0, cv::INTER_AREA);
  return tile;
}

Result<TilingSummary> for_each_tile(const Slide& slide, const TilingOptions& options, const TileCallback& callback,
                                    bool read_rejected, ThreadPool* pool) {
  TilingSummary summary;
  GRAMLITE_ASSIGN_OR_RETURN(summary.grid, plan_tile_grid(slide, options));
  const TileGrid& grid = summary.grid;
  TissueMask mask;
  if (options.reject_background) {
    GRAMLITE_ASSIGN_OR_RETURN(mask, compute_tissue_mask(slide, options.background));
    summary.thresholds = mask.thresholds();
  }
  std::vector<Tile> row_tiles(static_cast<size_t>(grid.cols));
  for (int64_t row = 0; row < grid.rows; ++row) {
    for (int64_t col = 0; col < grid.cols; ++col) {
      Tile& tile = row_tiles[static_cast<size_t>(col)];
      tile.rect = tile_rect(grid, col, row);
      tile.image = RgbImage();
      if (options.reject_background) {
        tile.tissue_fraction = mask.fraction(tile.rect.x, tile.rect.y, tile.rect.width, tile.rect.height);
        tile.kept = tile.tissue_fraction >= options.background.min_tissue_fraction;
      }
    }
    // Read this row's tiles in parallel; tiles are independent and read_region is thread-safe.
    // Threads claim tiles one at a time (kept tiles may cluster on one side of the row); the
    // first error in column order wins, so the outcome does not depend on the thread count.
    std::vector<Status> errors(static_cast<size_t>(grid.cols));
    std::atomic<int64_t> next{0};
    run_on_threads(pool, [&](int /*thread_index*/, int /*thread_count*/) {
      for (int64_t i = next++; i < grid.cols; i = next++) {
        Tile& tile = row_tiles[static_cast<size_t>(i)];
        if (!tile.kept && !read_rejected) continue;
        Result<RgbImage> image = read_tile(slide, grid, tile.rect);
        if (!image.ok()) {
          errors[static_cast<size_t>(i)] = image.status();
          return;
        }
        tile.image = std::move(image).value();
      }
    });
    for (const Status& error : errors) GRAMLITE_RETURN_IF_ERROR(error);
    for (const Tile& tile : row_tiles) {
      ++summary.tiles_total;
      summary.tiles_kept += tile.kept ? 1 : 0;
      GRAMLITE_RETURN_IF_ERROR(callback(tile));
    }
  }
  return summary;
}

}  // namespace gramlite::data::wsi
