#include "gramlite/data/synth/tile_dataset_writer.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "data/synth/field_objects.h"
#include "data/synth/field_renderer.h"
#include "data/synth/synth_random.h"
#include "gramlite/base/atomic_file.h"
#include "gramlite/base/temp_paths.h"

namespace gramlite::data::synth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSplitNames[3] = {"train", "val", "test"};

Organism organism_for(TileTask task, int label_index, uint64_t tile_seed) {
  if (task == TileTask::kMorphology4) return static_cast<Organism>(label_index);
  if (label_index == 1) return Organism::kGramNegativeRods;
  return (hash_of(tile_seed, 0xC0CCull) & 1) ? Organism::kGramPositiveCocciChains : Organism::kGramPositiveCocciClusters;
}

bool is_bacterium(const RenderedObject& o) { return o.kind == ObjectKind::kCoccus || o.kind == ObjectKind::kRod; }

std::string fmt(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string csv_header() {
  return "file,split,label,label_index,organism,field_seed,origin_x,origin_y,organisms_in_tile,difficulty,"
         "density_clusters,density_chains,density_rods,clumping,background_density,debris,precipitate,precipitate_mimicry,"
         "decolourisation_variability,blur_um,vignetting,noise,jpeg_quality,microns_per_pixel,"
         "crystal_violet_intensity,safranin_intensity,background_protein,decolourisation_bias,"
         "crystal_violet_od_r,crystal_violet_od_g,crystal_violet_od_b,safranin_od_r,safranin_od_g,safranin_od_b,"
         "illumination_r,illumination_g,illumination_b\n";
}

std::string csv_row(const std::string& file, const char* split, const std::string& label, int label_index,
                    const SyntheticTile& t) {
  const FieldSpec& s = t.spec;
  std::string row = file + "," + split + "," + label + "," + std::to_string(label_index) + "," +
                    organism_name(t.organism) + "," + std::to_string(t.field_seed) + "," + std::to_string(t.origin_x) +
                    "," + std::to_string(t.origin_y) + "," + std::to_string(t.organisms_in_tile);
  const double values[] = {s.difficulty.level, s.organism_density[0], s.organism_density[1], s.organism_density[2],
                           s.clumping, s.background_density, s.debris, s.precipitate, s.precipitate_mimicry,
                           s.decolourisation_variability, s.blur, s.vignetting, s.noise,
                           static_cast<double>(s.jpeg_quality), s.microns_per_pixel,
                           s.stain.crystal_violet_intensity, s.stain.safranin_intensity, s.stain.background_protein,
                           s.stain.decolourisation_bias, s.stain.crystal_violet_od[0], s.stain.crystal_violet_od[1],
                           s.stain.crystal_violet_od[2], s.stain.safranin_od[0], s.stain.safranin_od[1],
                           s.stain.safranin_od[2], s.stain.illumination[0], s.stain.illumination[1],
                           s.stain.illumination[2]};
  for (double v : values) row += "," + fmt(v);
  return row + "\n";
}

// Every file goes into the temporary folder under the temp write lock, so that an interrupt
// removing the folder never races with it (base/temp_paths.h).
Status write_file(const fs::path& path, const void* data, size_t size) {
  return write_under_temp_lock(path.string(), [&] {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return io_error("cannot create '", path.string(), "'");
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) return io_error("cannot write '", path.string(), "'");
    return Status::Ok();
  });
}

Status write_image(const fs::path& path, const RgbImage& image, bool jpeg) {
  std::vector<uint8_t> encoded;
  try {
    const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    const std::vector<int> params =
        jpeg ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 95} : std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, 3};
    if (!cv::imencode(jpeg ? ".jpg" : ".png", bgr, encoded, params)) {
      return internal_error("encoding '", path.string(), "' failed");
    }
  } catch (const cv::Exception& e) {
    return internal_error("encoding '", path.string(), "': OpenCV: ", e.what());
  }
  return write_file(path, encoded.data(), encoded.size());
}

struct Plan {
  TileTask task;
  std::vector<std::string> classes;
  std::array<int64_t, 3> per_class_split{};
  bool jpeg = false;
};

Result<Plan> check_options(const TileDatasetOptions& o) {
  Plan plan;
  GRAMLITE_ASSIGN_OR_RETURN(plan.task, parse_tile_task(o.task));
  plan.classes = tile_task_classes(plan.task);
  if (o.out_dir.empty()) return invalid_argument("tile dataset: no output folder given");
  if (o.per_class < 1) return invalid_argument("tile dataset: per_class must be at least 1 (got ", o.per_class, ")");
  if (o.size < 32 || o.size > 4096) return invalid_argument("tile dataset: size must be 32..4096 pixels (got ", o.size, ")");
  if (!(o.difficulty.level >= 0 && o.difficulty.level <= 1)) {
    return invalid_argument("tile dataset: difficulty must be in [0, 1] (got ", o.difficulty.level, ")");
  }
  if (o.image_format != "png" && o.image_format != "jpg") {
    return invalid_argument("tile dataset: image format must be 'png' or 'jpg' (got '", o.image_format, "')");
  }
  plan.jpeg = o.image_format == "jpg";
  double sum = 0;
  for (double f : o.split_fractions) {
    if (!(f >= 0 && f <= 1)) return invalid_argument("tile dataset: split fractions must be in [0, 1]");
    sum += f;
  }
  if (std::fabs(sum - 1.0) > 1e-6) return invalid_argument("tile dataset: split fractions sum to ", sum, ", not 1");
  const auto n = static_cast<int64_t>(o.per_class);
  plan.per_class_split[0] = std::llround(static_cast<double>(n) * o.split_fractions[0]);
  plan.per_class_split[1] = std::min<int64_t>(n - plan.per_class_split[0], std::llround(static_cast<double>(n) * o.split_fractions[1]));
  plan.per_class_split[2] = n - plan.per_class_split[0] - plan.per_class_split[1];
  return plan;
}

// split_of[i] for tile i of a class: a seeded shuffle, then the first n_train are train, etc.
std::vector<int> assign_splits(const Plan& plan, uint64_t seed, int label_index, int per_class) {
  std::vector<int64_t> order(static_cast<size_t>(per_class));
  for (int i = 0; i < per_class; ++i) order[static_cast<size_t>(i)] = i;
  CellRng rng(hash_of(seed, static_cast<uint64_t>(label_index), 0x5917ull));
  for (int i = per_class - 1; i > 0; --i) std::swap(order[static_cast<size_t>(i)], order[rng.next() % (static_cast<uint64_t>(i) + 1)]);
  std::vector<int> split_of(static_cast<size_t>(per_class));
  int64_t position = 0;
  for (int s = 0; s < 3; ++s) {
    for (int64_t k = 0; k < plan.per_class_split[s]; ++k) split_of[static_cast<size_t>(order[position++])] = s;
  }
  return split_of;
}

std::string json_string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", \"" : "\"") + items[i] + "\"";
  return out + "]";
}

}  // namespace

Result<TileTask> parse_tile_task(const std::string& name) {
  if (name == "morphology4") return TileTask::kMorphology4;
  if (name == "gram2") return TileTask::kGram2;
  return invalid_argument("unknown tile task '", name, "' (expected 'morphology4' or 'gram2')");
}

const char* tile_task_name(TileTask task) { return task == TileTask::kMorphology4 ? "morphology4" : "gram2"; }

std::vector<std::string> tile_task_classes(TileTask task) {
  if (task == TileTask::kMorphology4) {
    return {"background", "gram_positive_cocci_clusters", "gram_positive_cocci_chains", "gram_negative_rods"};
  }
  return {"gram_positive", "gram_negative"};
}

Result<SyntheticTile> make_tile(TileTask task, int label_index, int64_t index, int size, Difficulty difficulty,
                                uint64_t dataset_seed) {
  const int classes = static_cast<int>(tile_task_classes(task).size());
  if (label_index < 0 || label_index >= classes) return invalid_argument("make_tile: label index ", label_index, " out of range");
  if (size < 1 || size > kMaxFieldSide) return invalid_argument("make_tile: size ", size, " out of range");
  SyntheticTile tile;
  tile.field_seed = hash_of(dataset_seed, static_cast<uint64_t>(label_index), static_cast<uint64_t>(index));
  tile.organism = organism_for(task, label_index, tile.field_seed);
  tile.spec = sample_field_spec(tile.organism, difficulty, tile.field_seed);
  CellRng rng(hash_of(tile.field_seed, 0x0416ull));
  // Anywhere in a 2^30-px (~100 m) square: tiles of one seed never share a neighbourhood pattern.
  tile.origin_x = static_cast<int64_t>(rng.next() >> 34);
  tile.origin_y = static_cast<int64_t>(rng.next() >> 34);
  const double mpp = tile.spec.microns_per_pixel;
  if (tile.organism != Organism::kNone) {
    // Centre the tile loosely on one organism, searched for in a growing window.
    bool found = false;
    for (int64_t window = 4LL * size; window <= 64LL * size && !found; window *= 4) {
      GRAMLITE_ASSIGN_OR_RETURN(const std::vector<RenderedObject> objects,
                                objects_in_field(tile.spec, tile.field_seed, tile.origin_x - window / 2,
                                                 tile.origin_y - window / 2, static_cast<int>(window),
                                                 static_cast<int>(window)));
      std::vector<const RenderedObject*> candidates;
      for (const RenderedObject& o : objects) {
        if (is_bacterium(o) && o.organism == tile.organism) candidates.push_back(&o);
      }
      if (candidates.empty()) continue;
      const RenderedObject& pick = *candidates[rng.next() % candidates.size()];
      tile.origin_x = static_cast<int64_t>(std::floor(pick.x_um / mpp - rng.uniform(0.2, 0.8) * size));
      tile.origin_y = static_cast<int64_t>(std::floor(pick.y_um / mpp - rng.uniform(0.2, 0.8) * size));
      found = true;
    }
    if (!found) return internal_error("make_tile: no ", organism_name(tile.organism), " found near the tile");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<RenderedObject> in_tile,
                            objects_in_field(tile.spec, tile.field_seed, tile.origin_x, tile.origin_y, size, size));
  for (const RenderedObject& o : in_tile) {
    const double px = o.x_um / mpp, py = o.y_um / mpp;
    if (is_bacterium(o) && px >= static_cast<double>(tile.origin_x) && px < static_cast<double>(tile.origin_x + size) &&
        py >= static_cast<double>(tile.origin_y) && py < static_cast<double>(tile.origin_y + size)) {
      ++tile.organisms_in_tile;
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(tile.image,
                            render_field(tile.spec, tile.field_seed, tile.origin_x, tile.origin_y, size, size));
  return tile;
}

Result<TileDatasetSummary> write_tile_dataset(const TileDatasetOptions& options, ThreadPool* pool) {
  GRAMLITE_ASSIGN_OR_RETURN(const Plan plan, check_options(options));
  fs::path out_dir = fs::path(options.out_dir).lexically_normal();
  if (!out_dir.has_filename()) out_dir = out_dir.parent_path();  // "out/" -> "out": the temporary is its sibling
  if (out_dir.empty() || out_dir.filename() == "." || out_dir.filename() == "..") {
    return invalid_argument("tile dataset: '", options.out_dir, "' does not name a folder to create");
  }
  std::error_code ec;
  if (fs::exists(out_dir, ec)) {
    if (!fs::is_directory(out_dir, ec) || !fs::is_empty(out_dir, ec)) {
      return invalid_argument("tile dataset: '", out_dir.string(), "' already exists and is not an empty folder");
    }
  }
  // Whatever goes wrong from here on (an error, an exception, an interrupt), the temporary
  // folder goes too (base/atomic_file.h).
  // Missing parent folders are created, as before the writes became atomic.
  if (const fs::path parent = fs::path(out_dir).parent_path(); !parent.empty()) {
    std::error_code parent_error;
    fs::create_directories(parent, parent_error);
    if (parent_error) return io_error("cannot create '", parent.string(), "': ", parent_error.message());
  }
  GRAMLITE_ASSIGN_OR_RETURN(PendingFolder folder, PendingFolder::create(out_dir.string()));
  const fs::path partial = folder.temp_path();
  const int class_count = static_cast<int>(plan.classes.size());
  const char* extension = plan.jpeg ? ".jpg" : ".png";
  for (const char* split : kSplitNames) {
    for (const std::string& label : plan.classes) {
      const fs::path class_dir = partial / split / label;
      GRAMLITE_RETURN_IF_ERROR(write_under_temp_lock(class_dir.string(), [&] {
        fs::create_directories(class_dir, ec);
        return ec ? io_error("tile dataset: cannot create '", class_dir.string(), "': ", ec.message()) : Status::Ok();
      }));
    }
  }

  std::vector<std::vector<int>> split_of(static_cast<size_t>(class_count));
  for (int c = 0; c < class_count; ++c) split_of[static_cast<size_t>(c)] = assign_splits(plan, options.seed, c, options.per_class);
  const int64_t total = static_cast<int64_t>(class_count) * options.per_class;
  std::vector<std::string> rows(static_cast<size_t>(total));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards first_error, done and the progress callback
  Status first_error;
  int64_t done = 0;

  // Tiles are claimed one at a time by whichever thread is free; each tile's file and manifest
  // row depend only on its index, so the output does not depend on the pool.
  auto worker = [&](int /*thread_index*/, int /*thread_count*/) {
    for (int64_t job = next++; job < total && !failed; job = next++) {
      const int label_index = static_cast<int>(job / options.per_class);
      const int64_t index = job % options.per_class;
      const std::string& label = plan.classes[static_cast<size_t>(label_index)];
      const int split = split_of[static_cast<size_t>(label_index)][static_cast<size_t>(index)];
      char name[32];
      std::snprintf(name, sizeof name, "_%06" PRId64, index);
      const std::string relative = std::string(kSplitNames[split]) + "/" + label + "/" + label + name + extension;
      Status status;
      try {  // an exception escaping a pool thread would call std::terminate
        Result<SyntheticTile> tile =
            make_tile(plan.task, label_index, index, options.size, options.difficulty, options.seed);
        if (tile.ok()) {
          status = write_image(partial / relative, tile->image, plan.jpeg);
          rows[static_cast<size_t>(job)] = csv_row(relative, kSplitNames[split], label, label_index, *tile);
        } else {
          status = tile.status().with_context(str_cat("tile ", label, " #", index));
        }
      } catch (const std::exception& e) {
        status = internal_error("tile ", label, " #", index, ": ", e.what());
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (!status.ok()) {
        if (!failed) first_error = status;
        failed = true;
        return;
      }
      ++done;
      if (options.progress) options.progress(done, total);
    }
  };
  run_on_threads(pool, worker);
  if (failed) return first_error.with_context("tile dataset '" + out_dir.string() + "'");

  std::string manifest = csv_header();
  for (const std::string& row : rows) manifest += row;
  GRAMLITE_RETURN_IF_ERROR(write_file(partial / "manifest.csv", manifest.data(), manifest.size()));

  TileDatasetSummary summary;
  summary.out_dir = out_dir.string();
  summary.classes = plan.classes;
  for (int s = 0; s < 3; ++s) summary.split_counts[s] = plan.per_class_split[s] * class_count;
  summary.total_tiles = total;
  std::string json = "{\n";
  json += "  \"generator\": \"gramlite.synth\",\n";
  json += "  \"generator_version\": " + std::to_string(kGeneratorVersion) + ",\n";
  json += "  \"task\": \"" + std::string(tile_task_name(plan.task)) + "\",\n";
  json += "  \"classes\": " + json_string_list(plan.classes) + ",\n";
  json += "  \"per_class\": " + std::to_string(options.per_class) + ",\n";
  json += "  \"counts\": {\"train\": " + std::to_string(summary.split_counts[0]) +
          ", \"val\": " + std::to_string(summary.split_counts[1]) + ", \"test\": " + std::to_string(summary.split_counts[2]) +
          ", \"total\": " + std::to_string(total) + "},\n";
  json += "  \"per_class_counts\": {\"train\": " + std::to_string(plan.per_class_split[0]) +
          ", \"val\": " + std::to_string(plan.per_class_split[1]) + ", \"test\": " + std::to_string(plan.per_class_split[2]) + "},\n";
  json += "  \"seed\": " + std::to_string(options.seed) + ",\n";
  json += "  \"size\": " + std::to_string(options.size) + ",\n";
  json += "  \"microns_per_pixel\": " + fmt(kDefaultMicronsPerPixel) + ",\n";
  json += "  \"difficulty\": " + fmt(options.difficulty.level) + ",\n";
  json += "  \"split_fractions\": [" + fmt(options.split_fractions[0]) + ", " + fmt(options.split_fractions[1]) + ", " +
          fmt(options.split_fractions[2]) + "],\n";
  json += "  \"image_format\": \"" + options.image_format + "\"\n}\n";
  // dataset.json last: its presence marks the folder complete even before the rename.
  GRAMLITE_RETURN_IF_ERROR(write_file(partial / "dataset.json", json.data(), json.size()));

  GRAMLITE_RETURN_IF_ERROR(folder.commit().with_context("tile dataset"));
  return summary;
}

}  // namespace gramlite::data::synth
