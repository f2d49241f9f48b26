// The trainer's seam for quantization-aware training (quantization_aware.h) and pruning
// (pruning.h), for src/train only. torch-free: trainer.cc and training_job.cc include it.
//
// The training loop and the job are the float ones; a TrainingHooks object rides along. For QAT
// it installs fake quantization on the torch graph the trainer builds, freezes batch norm and the
// observers at their epochs and remembers the observers of the kept (best) model; for pruning it
// updates the masks on the schedule's steps and re-applies them after every optimizer step. Both
// put their state in the trainer's checkpoint so that a resumed run continues exactly where it
// stopped.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/train/trainer.h"
#include "gramlite/train/training_job.h"
#include "train/torch_graph.h"

namespace gramlite::train {

// What the trainer knows once its loaders and torch graph are ready.
struct TrainingContext {
  int epochs = 0;
  int64_t steps_per_epoch = 0;           // optimizer steps (batches) per epoch
  data::DataLoader* val_loader = nullptr;  // null without validation data
  bool resumed = false;                  // continuing from a checkpoint (attach got its state)
};

class TrainingHooks {
 public:
  virtual ~TrainingHooks() = default;
  // The key of fingerprint_json() in the checkpoint's fingerprint and of state_json() in its state
  // ("quantization_aware" / "quantization" for QAT, as older checkpoints have them).
  virtual const char* fingerprint_key() const = 0;
  virtual const char* state_key() const = 0;
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

  // Once, after attach and before the first epoch runs (also when resuming).
  virtual Status before_training(TorchGraph& /*torch*/, const TrainingContext& /*context*/) { return Status::Ok(); }
  // Every training step: before_step before its forward pass, after_step after the optimizer
  // moved the weights. `step` counts the steps taken before this one, from 0 (a resumed run
  // continues the count).
  virtual Status before_step(TorchGraph& /*torch*/, int64_t /*step*/) { return Status::Ok(); }
  virtual Status after_step(TorchGraph& /*torch*/, int64_t /*step*/) { return Status::Ok(); }
  // Whether the model after `steps_done` steps may become the kept one (pruning: only once the
  // masks have their final sparsity, however good an earlier, denser epoch looked).
  virtual bool may_keep(int64_t /*steps_done*/) const { return true; }
  // Marks the kept model before it is saved (pruning: each pruned tensor's target sparsity).
  virtual void annotate(ir::Graph& /*model*/) const {}
};

// The graph trained: the model without a final Softmax, so the loss sees logits. Tensor names are
// the model's, so trained values write back into the full model by name.
Result<ir::Graph> logits_graph(const ir::Graph& model);

// train_classifier (trainer.h) and run_training_job (training_job.h) with hooks; `hooks` may be null.
Result<TrainSummary> train_classifier(const ir::Graph& model, data::DataLoader& train_loader,
                                      data::DataLoader* val_loader, const TrainerOptions& options,
                                      const TrainCallbacks& callbacks, TrainingHooks* hooks);
Result<TrainingJobResult> run_training_job(const TrainingJobOptions& options, const TrainingJobCallbacks& callbacks,
                                           TrainingHooks* hooks);

}  // namespace gramlite::train
