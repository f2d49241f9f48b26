// The command-line side of a training run, shared by `gramlite train` and `gramlite sweep finetune`:
// the flags and their conversion to the library's train::TrainingJobOptions (train/training_job.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gramlite/base/status.h"
#include "gramlite/train/training_job.h"

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
  int threads = 0;  // 0: the cores available (train/threads.h)
  int workers = 0;  // 0: the cores libtorch leaves, at least 1
  // Outputs (train only; the sweep derives them per run).
  std::string output;
  std::string checkpoint;  // default: OUTPUT without .gramlite + ".ckpt"
  std::string log;         // default: OUTPUT without .gramlite + ".train" (.csv and .json)
  bool resume = false;
};

// The options every training command shares (model, data, optimisation).
void add_training_options(CLI::App* cmd, TrainFlags& flags);

// The library's options for these flags; invalid argument for a name it does not know.
Result<train::TrainingJobOptions> training_job_options(const TrainFlags& flags);

}  // namespace gramlite::cli
