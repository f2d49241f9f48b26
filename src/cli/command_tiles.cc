#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/base/temp_paths.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/wsi/export_tiles.h"

namespace gramlite::cli {
namespace {

struct TilesFlags {
  std::string slide;
  std::string out;
  data::wsi::ExportOptions options;
  bool keep_background = false;
  bool pad_edges = false;
  int threads = 1;
};

int export_slide_tiles(TilesFlags& flags) {
  flags.options.tiling.reject_background = !flags.keep_background;
  flags.options.tiling.edge_tiles = flags.pad_edges ? data::wsi::EdgeTiles::kPadWhite : data::wsi::EdgeTiles::kDrop;
  ThreadPool pool(flags.threads);
  auto summary = data::wsi::export_tiles(flags.slide, flags.out, flags.options, &pool);
  if (!summary.ok()) return report_error(summary.status());
  const data::wsi::TileGrid& grid = summary->tiling.grid;
  // The tiler never upsamples and cannot scale a slide of unknown resolution: say so rather than
  // hand back tiles at a scale other than the one asked for without a word.
  const data::wsi::TilingOptions& tiling = flags.options.tiling;
  const double wanted_mpp = tiling.microns_per_pixel > 0 ? tiling.microns_per_pixel
                            : tiling.magnification > 0   ? 10.0 / tiling.magnification
                                                         : 0.0;
  if (wanted_mpp > 0 && !grid.mpp_known) {
    std::cerr << "gramlite: warning: '" << flags.slide
              << "' records no resolution; --mpp/--magnification ignored, tiles are at level 0\n";
  } else if (wanted_mpp > 0 && grid.output_mpp > wanted_mpp * 1.01) {
    std::cerr << "gramlite: warning: " << wanted_mpp << " um/px is finer than the slide's level 0; tiles are at "
              << grid.output_mpp << " um/px (level 0 is never upsampled)\n";
  }
  std::cout << std::fixed << std::setprecision(3);
  std::cout << "slide:      " << flags.slide << "\n"
            << "grid:       " << grid.cols << " x " << grid.rows << " tiles of " << grid.tile_size << " px, stride "
            << grid.stride << ", read at level " << grid.level << " (downsample " << grid.downsample << ")";
  if (grid.mpp_known) std::cout << ", " << grid.output_mpp << " um/px";
  std::cout << "\n";
  if (flags.options.tiling.reject_background) {
    const data::wsi::BackgroundThresholds& t = summary->tiling.thresholds;
    std::cout << "background: saturation > " << t.saturation << (t.saturation_from_otsu ? " (Otsu)" : " (fixed)")
              << " and optical density > " << t.optical_density << " is smear; tiles need >= "
              << t.min_tissue_fraction << " smear; the slide is " << t.slide_tissue_fraction << " smear\n";
  }
  std::cout << "tiles:      " << summary->tiling.tiles_kept << " of " << summary->tiling.tiles_total << " kept, "
            << summary->tiles_written << " PNGs written to " << flags.out << ", index " << summary->csv_path << "\n";
  return 0;
}

}  // namespace

void add_tiles_command(CLI::App& app, int& exit_code) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary files
  auto flags = std::make_shared<TilesFlags>();
  data::wsi::TilingOptions& tiling = flags->options.tiling;
  CLI::App* cmd = app.add_subcommand("tiles", "Cut a whole-slide image into tiles, rejecting background");
  cmd->add_option("SLIDE", flags->slide, "Slide (svs, ndpi, mrxs, scn, tiled TIFF, ...) or a large PNG/JPEG/TIFF")
      ->required();
  cmd->add_option("--out", flags->out, "Output folder (must not exist or be empty)")->required();
  cmd->add_option("--mpp", tiling.microns_per_pixel, "Output microns per pixel (default: level 0)")
      ->check(non_negative_number());
  cmd->add_option("--magnification", tiling.magnification, "Output magnification, when --mpp is not given")
      ->check(non_negative_number());
  cmd->add_option("--size", tiling.tile_size, "Tile side in output pixels")->check(CLI::Range(8, 8192));
  cmd->add_option("--stride", tiling.stride, "Output pixels between tile origins (default: --size)")
      ->check(non_negative_number());
  cmd->add_flag("--pad-edges", flags->pad_edges, "Keep partial edge tiles, padded with white (default: drop them)");
  cmd->add_flag("--keep-background", flags->keep_background, "Do not reject background tiles");
  cmd->add_option("--min-tissue", tiling.background.min_tissue_fraction, "Smear fraction a tile needs to be kept")
      ->check(finite_range(0.0, 1.0));
  cmd->add_option("--saturation", tiling.background.saturation_threshold,
                  "Saturation threshold (with --no-otsu; otherwise the floor under Otsu's)")
      ->check(finite_range(0.0, 1.0));
  cmd->add_flag("--no-otsu{false}", tiling.background.use_otsu, "Use the fixed saturation threshold");
  cmd->add_option("--od", tiling.background.optical_density_threshold, "Optical-density threshold")
      ->check(non_negative_number());
  cmd->add_flag("--write-rejected", flags->options.write_rejected, "Also write PNGs of background tiles");
  cmd->add_option("--threads", flags->threads, "Threads reading tiles")->check(CLI::Range(1, 256));
  cmd->callback([flags, &exit_code] { exit_code = export_slide_tiles(*flags); });
}

}  // namespace gramlite::cli
