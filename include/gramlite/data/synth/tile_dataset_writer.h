// Labelled tile datasets from the synthetic generator, in the folder-per-class layout the dataset
// loader reads: OUT/{train,val,test}/<class>/<file>, OUT/manifest.csv, OUT/dataset.json.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/image.h"
#include "gramlite/data/synth/field_spec.h"

namespace gramlite::data::synth {

enum class TileTask {
  kMorphology4,  // background, gram_positive_cocci_clusters, gram_positive_cocci_chains, gram_negative_rods
  kGram2,        // gram_positive (clusters or chains, half each on average), gram_negative (rods): the study's task
};
Result<TileTask> parse_tile_task(const std::string& name);  // "morphology4" or "gram2"
const char* tile_task_name(TileTask task);
std::vector<std::string> tile_task_classes(TileTask task);  // in label_index order

// One generated tile and everything needed to reproduce it.
struct SyntheticTile {
  RgbImage image;
  Organism organism = Organism::kNone;  // what the tile shows (for gram2, which gram-positive form)
  uint64_t field_seed = 0;
  FieldSpec spec;
  int64_t origin_x = 0, origin_y = 0;  // where in the field's global frame the tile was cut
  int organisms_in_tile = 0;           // bacteria whose centre lies inside the tile
};

// Tile `index` of class `label_index` of `task`: its seed is hash(dataset_seed, label_index, index),
// so any tile can be regenerated alone. Tiles of a bacterial class are cut around a randomly chosen
// organism (it lands at 20-80 % of the width and height), so none is empty even at low density;
// background tiles are cut anywhere.
Result<SyntheticTile> make_tile(TileTask task, int label_index, int64_t index, int size, Difficulty difficulty,
                                uint64_t dataset_seed);

struct TileDatasetOptions {
  std::string out_dir;      // must not exist, or be an empty folder
  std::string task = "gram2";
  int per_class = 100;      // tiles per class, >= 1
  int size = 224;           // tile side in pixels, 32..4096
  uint64_t seed = 1;
  std::array<double, 3> split_fractions{0.8, 0.1, 0.1};  // train, val, test: >= 0, sum 1
  // 1.0, the hardest level: at 0.5 a MobileNetV2 trained from scratch reached 100 % test accuracy
  // on gram2 (saturated); at 1.0, 92.5 % at 96 px and 97 % at 224 px (docs/synthetic-data.md,
  // "Difficulty for a CNN").
  Difficulty difficulty{1.0f};
  std::string image_format = "png";  // "png" (lossless) or "jpg" (quality 95)
  // Called after each tile with (tiles done, total), from the pool's threads but never concurrently.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct TileDatasetSummary {
  std::string out_dir;
  std::vector<std::string> classes;
  std::array<int64_t, 3> split_counts{};  // train, val, test tiles over all classes
  int64_t total_tiles = 0;
};

// Writes the dataset under a hidden temporary sibling folder (base/atomic_file.h, PendingFolder)
// and renames it to OUT at the end, so a failed or interrupted run never leaves something that
// looks complete. Tiles are rendered on `pool` (borrowed; nullptr = the caller's thread).
// Same options -> byte-identical files, whatever the pool.
Result<TileDatasetSummary> write_tile_dataset(const TileDatasetOptions& options, ThreadPool* pool = nullptr);

}  // namespace gramlite::data::synth
