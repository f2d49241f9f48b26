#include "gramlite/train/dataset_split.h"

#include <cmath>
#include <filesystem>
#include <utility>

#include "gramlite/data/dataset/sample_rng.h"

namespace gramlite::train {

namespace fs = std::filesystem;

void carve_validation(std::vector<data::DatasetSample> samples, size_t classes, double fraction, uint64_t seed,
                      std::vector<data::DatasetSample>& train, std::vector<data::DatasetSample>& val) {
  std::vector<std::vector<data::DatasetSample>> by_class(classes);
  for (data::DatasetSample& s : samples) by_class[static_cast<size_t>(s.label)].push_back(std::move(s));
  for (size_t c = 0; c < classes; ++c) {
    auto& members = by_class[c];
    data::SampleRng rng = data::SampleRng::for_sample(seed, -2, static_cast<int64_t>(c));
    for (size_t i = members.size(); i > 1; --i) {
      std::swap(members[i - 1], members[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)))]);
    }
    size_t n = static_cast<size_t>(std::floor(fraction * static_cast<double>(members.size()) + 0.5));
    if (n == 0 && members.size() >= 2 && fraction > 0) n = 1;
    if (n >= members.size()) n = members.empty() ? 0 : members.size() - 1;
    val.insert(val.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(n));
    train.insert(train.end(), members.begin() + static_cast<std::ptrdiff_t>(n), members.end());
  }
}

Result<TrainingSplits> open_training_splits(const std::string& data, double val_fraction, uint64_t seed) {
  if (!std::isfinite(val_fraction) || val_fraction < 0 || val_fraction >= 1) {
    return invalid_argument("--val-fraction must be in [0, 1), got ", val_fraction);
  }
  TrainingSplits splits;
  data::FolderDatasetOptions options;
  options.split = "train";
  auto train = data::open_folder_dataset(data, options);
  if (!train.ok()) {
    options.split.clear();  // a flat folder: every image is training material
    auto flat = data::open_folder_dataset(data, options);
    if (!flat.ok()) {
      // Name what is wrong with the folder as the user laid it out: a split layout's problem is
      // in train/, a flat one's (an empty class folder, say) in the flat reading.
      std::error_code error;
      return fs::is_directory(fs::path(data) / "train", error) ? train.status() : flat.status();
    }
    if (flat->layout == "split") return train.status();
    if (flat->layout == "manifest") {
      return invalid_argument("'", data, "' has a manifest without a 'train' split: ", train.status().message());
    }
    train = std::move(flat);
  }
  splits.class_names = train->class_names;
  if (splits.class_names.size() < 2) {
    return invalid_argument("'", data, "' has ", splits.class_names.size(), " class",
                            splits.class_names.empty() ? "" : str_cat(" ('", splits.class_names[0], "')"),
                            "; a classifier needs at least 2 classes with training images");
  }
  if (train->layout != "flat") {
    options.split = "val";
    options.classes = train->class_names;
    auto val = data::open_folder_dataset(data, options);
    if (val.ok()) {
      splits.train = train->samples;
      splits.val = val->samples;
      splits.val_source = "the val split";
    }
  }
  if (splits.val_source.empty()) {
    if (val_fraction > 0) {
      carve_validation(train->samples, train->class_names.size(), val_fraction, seed, splits.train, splits.val);
      splits.val_source = str_cat(std::lround(val_fraction * 100), "% of train (no val split)");
    } else {
      splits.train = train->samples;
      splits.val_source = "none";
    }
  }
  splits.train_counts.assign(splits.class_names.size(), 0);
  for (const data::DatasetSample& s : splits.train) ++splits.train_counts[static_cast<size_t>(s.label)];
  for (size_t c = 0; c < splits.class_names.size(); ++c) {
    if (splits.train_counts[c] == 0) {
      return invalid_argument("class '", splits.class_names[c], "' has no training images in '", data, "'");
    }
  }
  return splits;
}

}  // namespace gramlite::train
