// The training loop: fine-tunes a classifier graph on a labelled image dataset with libtorch and
// returns it with its trained weights. torch-free header.
//
//   train::TrainerOptions options;            // Adam, cosine schedule, all layers trained
//   options.epochs = 10;
//   options.finetune_fraction = 0.5;          // the top half of the backbone and the head
//   options.output_path = "model.gramlite";   // best-on-validation model, rewritten on improvement
//   options.checkpoint_path = "model.gramlite.ckpt";
//   Result<train::TrainSummary> summary = train::train_classifier(graph, *train_loader, val_loader.get(), options);
//
// Every epoch: one pass over the training loader (shuffled and augmented by the loader), then the
// validation loader in eval mode (no augmentation: the caller configures it). The model kept is
// the one with the best validation result (options.monitor); with no validation loader, the last.
// A checkpoint is written atomically after every epoch; options.resume continues from it and, with
// one thread and the same seed, reproduces the uninterrupted run's weights exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/data/dataset/data_loader.h"
#include "gramlite/ir/graph.h"
#include "gramlite/train/finetune_policy.h"
#include "gramlite/train/schedule.h"

namespace gramlite::train {

enum class TrainOptimizer { kAdam, kSgd };
enum class Monitor { kValLoss, kValAccuracy };

struct TrainerOptions {
  int epochs = 10;
  TrainOptimizer optimizer = TrainOptimizer::kAdam;
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.9;  // SGD
  ScheduleKind schedule = ScheduleKind::kCosine;
  int early_stopping_patience = 0;   // epochs without improvement before stopping; 0 = never
  Monitor monitor = Monitor::kValLoss;
  std::vector<float> class_weights;  // per class, for the training loss; empty = unweighted
  double finetune_fraction = 1.0;    // finetune_policy.h
  uint64_t seed = 0;                 // dropout masks (the loaders have their own seeds)
  int threads = 1;                   // libtorch intra-op threads

  // Knowledge distillation (Hinton et al. 2015): a teacher model (same classes; in eval mode, not
  // trained) softens the training loss to (1 - w) * cross entropy + w * T^2 *
  // KL(softmax(teacher / T) || softmax(student / T)), w = distill_weight, T = distill_temperature.
  // Validation losses stay plain cross entropy. Null: no teacher.
  std::shared_ptr<const ir::Graph> teacher;
  double distill_temperature = 4.0;
  double distill_weight = 0.5;

  std::string output_path;      // the best model so far, saved atomically ("" = not written)
  std::string checkpoint_path;  // written after every epoch ("" = none)
  bool resume = false;          // continue from checkpoint_path
  std::string log_csv_path;     // per-epoch log, rewritten after every epoch ("" = none)
  std::string log_json_path;
  // Recorded in the checkpoint; resume refuses a checkpoint whose fingerprint differs, naming the
  // keys that changed (the caller puts every setting that changes the result here, as JSON).
  std::string fingerprint_json = "{}";
  std::map<std::string, std::string> provenance;  // copied into the saved model's metadata.extra
};

struct EpochRecord {
  int epoch = 0;  // 1-based
  double learning_rate = 0.0;
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  double val_loss = 0.0;      // NaN without validation
  double val_accuracy = 0.0;  // NaN without validation
  double seconds = 0.0;
  int64_t train_images = 0;
  bool improved = false;  // became the kept model
};

struct TrainCallbacks {
  std::function<void(const FinetunePlan& plan, int64_t trainable, int64_t total)> on_start;
  std::function<void(int epoch, int64_t batch, int64_t batches, double mean_loss)> on_batch;
  std::function<void(const EpochRecord& record)> on_epoch;
  std::function<void(int epochs_done)> on_resume;
};

struct TrainSummary {
  std::vector<EpochRecord> history;  // every epoch, the resumed ones included
  int best_epoch = 0;                // 1-based; 0 if no epoch ran
  bool early_stopped = false;
  int unfrozen_layers = 0;   // of backbone_layers (finetune_policy.h)
  int backbone_layers = 0;
  int64_t trainable_parameters = 0;
  int64_t total_parameters = 0;
  double seconds = 0.0;  // this process's training time
  ir::Graph model;       // the kept model with its trained weights
};

Result<TrainSummary> train_classifier(const ir::Graph& model, data::DataLoader& train_loader,
                                      data::DataLoader* val_loader, const TrainerOptions& options,
                                      const TrainCallbacks& callbacks = {});

}  // namespace gramlite::train
