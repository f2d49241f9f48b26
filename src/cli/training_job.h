// One fine-tuning run from command-line settings: the datasets (train, and val from the dataset's
// own split or carved out of train), the model (zoo architecture, pretrained weights, or a model
// file, with a new classification head when its classes differ), the loaders and the trainer.
// Shared by `gramlite train` and `gramlite sweep finetune`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "ir/graph.h"
#include "train/trainer.h"

namespace gramlite::cli {

struct TrainFlags {
  std::string arch;
  std::string model;
  std::string data;
  std::string pretrained = "none";
  double alpha = 1.0;
  int input_size = 0;
  double finetune = 1.0;
  int epochs = 10;
  int batch = 32;
  std::string optimizer = "adam";
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.9;
  std::string schedule = "cosine";
  int early_stopping = 0;
  std::string class_weights = "none";
  std::string monitor = "val_loss";
  std::string augment = "default";
  double val_fraction = 0.2;
  std::vector<float> mean;  // override the model's input normalisation (3 values each)
  std::vector<float> std;
  uint64_t seed = 0;
  int threads = 1;
  int workers = 2;
  // Outputs (train only; the sweep derives them per run).
  std::string output;
  std::string checkpoint;  // default: OUTPUT without .gramlite + ".ckpt"
  std::string log;         // default: OUTPUT without .gramlite + ".train" (.csv and .json)
  bool resume = false;
};

// The options every training command shares (model, data, optimisation).
void add_training_options(CLI::App* cmd, TrainFlags& flags);

struct TrainingOutput {
  train::TrainSummary summary;
  std::vector<std::string> class_names;
  int64_t train_images = 0;
  int64_t val_images = 0;
};

// Console output: `verbose` prints the setup, a progress bar per epoch and a line per epoch;
// otherwise nothing.
Result<TrainingOutput> run_training_job(const TrainFlags& flags, bool verbose);

// Where a run writes its checkpoint and its logs (LOG.csv, LOG.json): the flags, or names derived
// from OUTPUT without its ".gramlite" (OUTPUT-stem.ckpt, OUTPUT-stem.train).
std::string checkpoint_path(const TrainFlags& flags);
std::string log_stem(const TrainFlags& flags);

}  // namespace gramlite::cli
