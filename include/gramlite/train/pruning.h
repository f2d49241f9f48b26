// Unstructured magnitude pruning during fine-tuning (docs/pruning.md): the training job of
// training_job.h, with masks that follow a TF-MOT schedule (compress/pruning.h), are re-applied
// after every optimizer step, live in the checkpoint (a killed and resumed run ends exactly where
// the uninterrupted one does) and end in the model file as zeros plus each tensor's target
// sparsity. The kept model is the best on validation among the epochs that ended at the final
// sparsity.
//
//   train::UnstructuredPruningOptions options;
//   options.job.model.model_file = "m.gramlite";   // the trained dense model
//   options.job.data = "tiles/";
//   options.job.output = "m.pruned.gramlite";
//   options.schedule.final_sparsity = 0.9;          // polynomial decay 0 -> 0.9 by 2/3 of the steps
//   Result<train::UnstructuredPruningResult> r = train::run_unstructured_pruning(options);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/compress/pruning.h"
#include "gramlite/train/training_job.h"

namespace gramlite::train {

struct UnstructuredPruningOptions {
  TrainingJobOptions job;  // job.model: the trained model to prune; job.output: the pruned model
  // final_sparsity is the target. Derived when left at these values: a polynomial schedule's
  // end_step -1 -> two thirds of the run's steps (the last third fine-tunes at the final
  // sparsity); frequency 0 -> min(100, max(1, (end - begin) / 20)), so short runs still prune in
  // about 20 steps. A constant schedule's end_step -1 means no end (TF-MOT's default).
  compress::PruningSchedule schedule;
  compress::SparsityAllocation allocation = compress::SparsityAllocation::kUniform;
  compress::PrunableOptions prunable;
  compress::PruningBlock block;  // 1x1: unstructured; 1x4 for the int8 block-sparse kernels
  int probe_images = 256;        // sensitivity allocation: validation images per probe
  // Sensitivity allocation's probe, layer by layer (it runs before the first epoch).
  std::function<void(int layers_done, int layers)> on_probe;
};

struct PrunedLayer {
  std::string node;
  std::string tensor;
  int64_t elements = 0;
  double target_sparsity = 0.0;    // this layer's final target (allocation)
  double achieved_sparsity = 0.0;  // zeros in the kept model
  std::vector<double> probe_losses;  // sensitivity allocation: validation loss per probed level
};

struct UnstructuredPruningResult {
  TrainingJobResult training;         // training.summary.model: the pruned model
  compress::PruningSchedule schedule;  // as resolved (end step and frequency filled in)
  int64_t total_steps = 0;
  std::vector<PrunedLayer> layers;
  double base_probe_loss = 0.0;       // sensitivity allocation: the unpruned model's probe loss
  int64_t pruned_elements = 0;        // of the prunable weights
  int64_t zero_elements = 0;          // zeros among them in the kept model
};

Result<UnstructuredPruningResult> run_unstructured_pruning(const UnstructuredPruningOptions& options,
                                                          const TrainingJobCallbacks& callbacks = {});

}  // namespace gramlite::train
