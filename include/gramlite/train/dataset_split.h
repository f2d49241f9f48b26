// The images a training run learns from and validates on: the dataset's own train and val splits,
// or, when it has no val split, a stratified share of train carved out for validation. The test
// split is never opened here: it is for evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/data/dataset/folder_dataset.h"

namespace gramlite::train {

struct TrainingSplits {
  std::vector<std::string> class_names;
  std::vector<data::DatasetSample> train;
  std::vector<data::DatasetSample> val;
  std::vector<int64_t> train_counts;  // per class
  std::string val_source;             // "the val split", "20% of train (no val split)" or "none"
};

// `data`: a split layout (train/ and optionally val/), a manifest with a train split, or a flat
// folder per class (all training material). `val_fraction` in [0, 1): the share of each class held
// out when there is no val split (0: no validation). Refuses fewer than 2 classes and a class
// without training images.
Result<TrainingSplits> open_training_splits(const std::string& data, double val_fraction, uint64_t seed);

// A stratified, seeded share of `samples` for validation: per class, a Fisher-Yates shuffle
// (SampleRng, so the same on every platform) and the first round(fraction * n) samples, at least
// one when the class has two or more and fraction > 0, and never the whole class.
void carve_validation(std::vector<data::DatasetSample> samples, size_t classes, double fraction, uint64_t seed,
                      std::vector<data::DatasetSample>& train, std::vector<data::DatasetSample>& val);

}  // namespace gramlite::train
