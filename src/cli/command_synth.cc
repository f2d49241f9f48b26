#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/base/temp_paths.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/synth/tile_dataset_writer.h"
#include "gramlite/data/synth_slide/synthetic_slide.h"

namespace gramlite::cli {
namespace {

struct TilesFlags {
  data::synth::TileDatasetOptions options;
  std::vector<double> split{0.8, 0.1, 0.1};
  int threads = 1;
};

struct SlideFlags {
  data::synth_slide::SyntheticSlideOptions options;
  int threads = 1;
};

int write_tiles(TilesFlags& flags) {
  if (flags.split.size() != 3) {
    return report_error(invalid_argument("--split takes three fractions (train,val,test), got ", flags.split.size()));
  }
  flags.options.split_fractions = {flags.split[0], flags.split[1], flags.split[2]};
  // The total is known only inside the writer; the bar starts at its first callback.
  std::unique_ptr<Progress> progress;
  flags.options.progress = [&progress](int64_t done, int64_t total) {
    if (!progress) progress = std::make_unique<Progress>("synth tiles", total);
    progress->update(done);
  };
  ThreadPool pool(flags.threads);
  auto summary = data::synth::write_tile_dataset(flags.options, &pool);
  if (progress) progress->finish();
  if (!summary.ok()) return report_error(summary.status());
  std::cout << "wrote " << summary->total_tiles << " tiles to " << summary->out_dir << " (train "
            << summary->split_counts[0] << ", val " << summary->split_counts[1] << ", test " << summary->split_counts[2]
            << "); classes:";
  for (const std::string& name : summary->classes) std::cout << " " << name;
  std::cout << "\n";
  return 0;
}

int write_slide(const SlideFlags& flags) {
  const data::synth_slide::SyntheticSlideOptions& options = flags.options;
  ThreadPool pool(flags.threads);
  auto files = data::synth_slide::write_synthetic_slide(options, &pool);
  if (!files.ok()) return report_error(files.status());
  std::cout << "wrote " << files->slide_path << " (" << options.width << " x " << options.height << " px, "
            << files->level_count << " levels, " << options.microns_per_pixel << " um/px)\n"
            << "ground truth: " << files->label_map_path << " (" << files->label_cols << " x " << files->label_rows
            << " label pixels, one per " << options.label_tile_size << " px tile), " << files->regions_path << "\n";
  return 0;
}

}  // namespace

void add_synth_command(CLI::App& app, int& exit_code) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary files
  CLI::App* synth = app.add_subcommand("synth", "Generate synthetic Gram-stain data (tile datasets, whole slides)");
  synth->require_subcommand(1);

  auto tiles = std::make_shared<TilesFlags>();
  CLI::App* t = synth->add_subcommand("tiles", "Write a folder-per-class tile dataset with train/val/test splits");
  t->add_option("--out", tiles->options.out_dir, "Output folder (must not exist or be empty)")->required();
  t->add_option("--task", tiles->options.task, "morphology4 or gram2")
      ->check(CLI::IsMember({"morphology4", "gram2"}));
  t->add_option("--per-class", tiles->options.per_class, "Tiles per class")->check(positive_number());
  t->add_option("--size", tiles->options.size, "Tile side in pixels")->check(CLI::Range(32, 4096));
  t->add_option("--seed", tiles->options.seed, "Seed: same seed, same bytes")->check(seed_number());
  t->add_option("--split", tiles->split, "Train,val,test fractions")->delimiter(',')->expected(3);
  t->add_option("--difficulty", tiles->options.difficulty.level, "0 (easy) .. 1 (hard, the default for tile datasets)")
      ->check(finite_range(0.0, 1.0));
  t->add_option("--format", tiles->options.image_format, "png or jpg")->check(CLI::IsMember({"png", "jpg"}));
  t->add_option("--threads", tiles->threads, "Worker threads (the files do not depend on it)")
      ->check(CLI::Range(1, 256));
  t->callback([tiles, &exit_code] { exit_code = write_tiles(*tiles); });

  auto slide_flags = std::make_shared<SlideFlags>();
  data::synth_slide::SyntheticSlideOptions* slide = &slide_flags->options;
  CLI::App* s = synth->add_subcommand("slide", "Write a tiled, pyramidal, JPEG-compressed TIFF smear with ground truth");
  s->add_option("--out", slide->output_path, "The .tiff to write (labels and regions go next to it)")->required();
  s->add_option("--width", slide->width, "Level-0 width in pixels")->check(positive_number());
  s->add_option("--height", slide->height, "Level-0 height in pixels")->check(positive_number());
  s->add_option("--seed", slide->seed, "Seed: same seed, same slide")->check(seed_number());
  s->add_option("--mpp", slide->microns_per_pixel, "Microns per pixel at level 0")->check(positive_number());
  s->add_option("--tile-size", slide->tile_size, "TIFF tile edge in pixels")->check(CLI::Range(16, 4096));
  s->add_option("--jpeg-quality", slide->jpeg_quality, "JPEG quality")->check(CLI::Range(1, 100));
  s->add_option("--label-tile-size", slide->label_tile_size, "Level-0 pixels per label-map pixel")
      ->check(positive_number());
  s->add_option("--threads", slide_flags->threads, "Rendering threads (the files do not depend on them)")
      ->check(CLI::Range(1, 256));
  s->callback([slide_flags, &exit_code] { exit_code = write_slide(*slide_flags); });
}

}  // namespace gramlite::cli
