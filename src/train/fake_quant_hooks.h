// The trainer's seam for quantization-aware training (quantization_aware.h), for src/train only.
// torch-free: trainer.cc and training_job.cc include it.
//
// The training loop and the job are the float ones; a TrainingHooks object rides along: it
// installs fake quantization on the torch graph the trainer builds, freezes batch norm and the
// observers at their epochs, remembers the observers of the kept (best) model, and puts its state
// in the trainer's checkpoint so that a resumed run continues exactly where it stopped.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/train/trainer.h"
#include "gramlite/train/training_job.h"
#include "train/torch_graph.h"

namespace gramlite::train {

class TrainingHooks {
 public:
  virtual ~TrainingHooks() = default;
  // The settings that change the result, as a JSON object: part of the checkpoint's fingerprint,
  // so that a float checkpoint is not resumed as a quantization-aware one (or the reverse).
  virtual std::string fingerprint_json() const = 0;
  // After the trainer built `torch` from `graph` (the trained graph: the model without its final
  // Softmax). `restored_state` is what state_json() returned when the checkpoint being resumed was
  // written; empty on a fresh run.
  virtual Status attach(TorchGraph& torch, const ir::Graph& graph, const std::string& restored_state) = 0;
  // Before epoch `epoch` (0-based) runs: the freezes that start there.
  virtual Status start_epoch(TorchGraph& torch, int epoch) = 0;
  // The epoch just finished became the kept model.
  virtual void keep_best() = 0;
  // Everything resume needs, as a JSON object (written into the checkpoint's state).
  virtual std::string state_json() const = 0;
};

// train_classifier (trainer.h) and run_training_job (training_job.h) with hooks; `hooks` may be null.
Result<TrainSummary> train_classifier(const ir::Graph& model, data::DataLoader& train_loader,
                                      data::DataLoader* val_loader, const TrainerOptions& options,
                                      const TrainCallbacks& callbacks, TrainingHooks* hooks);
Result<TrainingJobResult> run_training_job(const TrainingJobOptions& options, const TrainingJobCallbacks& callbacks,
                                           TrainingHooks* hooks);

}  // namespace gramlite::train
