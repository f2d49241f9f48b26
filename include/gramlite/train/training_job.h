// One fine-tuning run in one call: the datasets (train, and val from the dataset's own split or
// carved out of train: dataset_split.h), the model (model_source.h), the loaders, the trainer, and
// its outputs (the model, a checkpoint after every epoch, CSV and JSON logs), locked against a
// second run on the same output (output_lock.h). The library behind `gramlite train` and
// `gramlite sweep finetune`.
//
//   train::TrainingJobOptions job;
//   job.model.arch = "mobilenet_v2";
//   job.data = "tiles/";                    // train/ (val/) folders, a manifest, or a folder per class
//   job.epochs = 5;
//   job.output = "m.gramlite";              // also m.ckpt, m.train.csv, m.train.json
//   train::TrainingJobCallbacks callbacks;
//   callbacks.trainer.on_epoch = [](const train::EpochRecord& r) { ... };
//   Result<train::TrainingJobResult> result = train::run_training_job(job, callbacks);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/train/model_source.h"
#include "gramlite/train/schedule.h"
#include "gramlite/train/trainer.h"

namespace gramlite::train {

struct TrainingJobOptions {
  ModelSourceOptions model;  // its seed is replaced by `seed`
  std::string data;          // dataset folder
  double val_fraction = 0.2;  // share of train held out when the dataset has no val split, [0, 1)
  std::vector<float> mean;    // input normalisation per RGB channel; empty: the model's
  std::vector<float> std;

  double finetune = 1.0;  // fraction of the backbone's weight layers trained, from the top
  int epochs = 10;
  int batch = 32;
  TrainOptimizer optimizer = TrainOptimizer::kAdam;
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.9;
  ScheduleKind schedule = ScheduleKind::kCosine;
  int early_stopping = 0;  // epochs without improvement; 0: never
  bool class_weights_auto = false;  // inverse class frequency in the loss
  Monitor monitor = Monitor::kValLoss;
  bool augment = true;  // the loader's default augmentation on train
  uint64_t seed = 0;    // weights, head, validation carving, shuffling, augmentation, dropout
  // Distillation (trainer.h): a teacher model and how much it counts. Part of the fingerprint
  // (as teacher_description, say its file name).
  std::shared_ptr<const ir::Graph> teacher;
  std::string teacher_description;
  double distill_temperature = 4.0;
  double distill_weight = 0.5;
  int threads = 0;      // libtorch threads; <= 0: threads.h's default (the cores)
  int workers = 0;      // image-decoding threads; <= 0: threads.h's default

  // Outputs. An empty `output` writes nothing unless checkpoint / log are given.
  std::string output;      // the best model on validation
  std::string checkpoint;  // default: OUTPUT without .gramlite + ".ckpt"
  std::string log;         // stem of LOG.csv and LOG.json; default: OUTPUT without .gramlite + ".train"
  bool resume = false;     // continue from the checkpoint (same settings)
};

// What the run found before training starts (for a progress display).
struct TrainingJobSetup {
  std::string model_description;  // where the network came from
  int64_t input_height = 0;
  int64_t input_width = 0;
  std::vector<std::string> class_names;
  int64_t train_images = 0;
  int64_t val_images = 0;
  std::string val_source;  // "the val split", "20% of train (no val split)", "none"
  int threads = 0;         // resolved
  int workers = 0;
  std::string checkpoint_path;  // "" when none is written
};

struct TrainingJobCallbacks {
  std::function<void(const TrainingJobSetup&)> on_setup;
  TrainCallbacks trainer;  // per start / resume / batch / epoch (trainer.h)
};

struct TrainingJobResult {
  TrainSummary summary;
  TrainingJobSetup setup;
  int64_t skipped_images = 0;  // unreadable training images the loader left out
};

Result<TrainingJobResult> run_training_job(const TrainingJobOptions& options, const TrainingJobCallbacks& callbacks = {});

// Where a run writes its checkpoint and logs: the options, or names derived from the output
// without its ".gramlite" (OUTPUT-stem.ckpt, OUTPUT-stem.train); "" when neither says.
std::string output_stem(const std::string& output);
std::string checkpoint_path(const TrainingJobOptions& options);
std::string log_stem(const TrainingJobOptions& options);

// Names as the command line and the logs spell them ("adam", "val_loss").
std::optional<TrainOptimizer> parse_optimizer(const std::string& name);  // adam, sgd
const char* optimizer_name(TrainOptimizer optimizer);
std::optional<Monitor> parse_monitor(const std::string& name);  // val_loss, val_accuracy
const char* monitor_name(Monitor monitor);

}  // namespace gramlite::train
