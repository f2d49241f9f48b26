#include "gramlite/classify/calibration_images.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "gramlite/classify/model_input.h"
#include "gramlite/data/dataset/data_loader.h"
#include "gramlite/data/dataset/folder_dataset.h"

namespace gramlite::classify {
namespace {

// SplitMix64: a fixed generator, so the sample is the same with every standard library
// (std::shuffle and the <random> distributions are implementation-defined).
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// `count` of [0, size), sorted: a partial Fisher-Yates shuffle.
std::vector<size_t> sample_indices(size_t size, size_t count, uint64_t seed) {
  std::vector<size_t> all(size);
  for (size_t i = 0; i < size; ++i) all[i] = i;
  if (count >= size) return all;
  uint64_t state = seed;
  for (size_t i = 0; i < count; ++i) {
    const size_t j = i + static_cast<size_t>(next_random(state) % (size - i));
    std::swap(all[i], all[j]);
  }
  all.resize(count);
  std::sort(all.begin(), all.end());
  return all;
}

Result<data::FolderDataset> open_dataset(const std::string& folder, const std::string& split) {
  std::error_code error;
  if (!std::filesystem::exists(folder, error)) return not_found("calibration folder '", folder, "' does not exist");
  data::FolderDatasetOptions options;
  options.split = split;
  auto dataset = data::open_folder_dataset(folder, options);
  if (dataset.ok() || !split.empty()) return dataset;
  // A train/val/test folder: calibrate on the training images, as the model saw them.
  options.split = "train";
  auto train = data::open_folder_dataset(folder, options);
  if (train.ok()) return train;
  return dataset;
}

}  // namespace

Result<compress::CalibrationSet> load_calibration_images(const ir::Graph& graph, const std::string& label,
                                                          const std::string& folder,
                                                          const CalibrationImageOptions& options) {
  if (options.count < 1) return invalid_argument("the calibration image count must be at least 1, got ", options.count);
  if (options.batch < 1) return invalid_argument("the calibration batch must be at least 1, got ", options.batch);
  GRAMLITE_ASSIGN_OR_RETURN(ImageInputSize input, image_input_size(graph, label));
  GRAMLITE_ASSIGN_OR_RETURN(data::FolderDataset dataset, open_dataset(folder, options.split));
  const std::vector<size_t> chosen =
      sample_indices(dataset.samples.size(), static_cast<size_t>(options.count), options.seed);
  std::vector<data::DatasetSample> samples;
  samples.reserve(chosen.size());
  for (size_t i : chosen) samples.push_back(dataset.samples[i]);

  data::DataLoaderOptions loader_options;
  loader_options.batch_size = options.batch;
  loader_options.shuffle = false;
  loader_options.workers = std::max(1, options.workers);
  loader_options.input.width = input.width;
  loader_options.input.height = input.height;
  loader_options.input.preprocessing = graph.metadata.preprocessing;
  loader_options.on_skip = options.on_skip;
  if (options.max_image_pixels > 0) loader_options.max_image_pixels = options.max_image_pixels;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> loader,
                            options.pool != nullptr ? data::DataLoader::create(samples, loader_options, options.pool)
                                                    : data::DataLoader::create(samples, loader_options));
  compress::CalibrationSet set;
  set.image_shape = {3, input.height, input.width};
  const auto total = static_cast<int64_t>(samples.size());
  int64_t done = 0;
  loader->start_epoch(0);
  while (std::optional<data::Batch> batch = loader->next()) {
    done += batch->size;
    set.batches.push_back(std::move(batch->images));
    if (options.progress) options.progress(done, total);
  }
  if (set.batches.empty()) {
    return corrupt_data("none of the ", total, " images chosen from '", folder, "' could be read");
  }
  return set;
}

}  // namespace gramlite::classify
