// Structured channel pruning with fine-tuning (docs/pruning.md): the dependency groups, criteria
// and check-then-prune cut of compress/channel_pruning.h, one-shot or in K steps, each step cut
// then fine-tuned with the training job of training_job.h (distillation from the original model
// optional). The result is a smaller dense model, faster on every backend.
//
//   train::StructuredPruningOptions options;
//   options.job.model.model_file = "m.gramlite";   // the trained model
//   options.job.data = "tiles/";
//   options.job.epochs = 6;                         // in all, shared among the steps
//   options.job.output = "m.half.gramlite";
//   options.ratio = 0.5;                            // remove half of the MACs
//   options.steps = 3;                              // 1/6, 2/6, 3/6 of the MACs, fine-tuning between
//   Result<train::StructuredPruningResult> r = train::run_structured_pruning(options);
//
// Step k writes OUTPUT-stem.stepK.cut.gramlite (the cut model it fine-tunes) and, for k < K,
// OUTPUT-stem.stepK.gramlite (fine-tuned), with the step's own checkpoint and log. With job.resume
// a rerun skips the finished steps and resumes the step in progress from its checkpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/train/training_job.h"

namespace gramlite::train {

struct StructuredPruningOptions {
  TrainingJobOptions job;  // job.model.model_file: the trained model; job.epochs: all steps together
  double ratio = 0.5;      // fraction of the MACs (or parameters, or latency) to remove
  // kLatency: the original model is profiled on the runtime, whole and thinned (1 thread, batch 1,
  // latency_runs timed runs; kept as OUTPUT-stem.latency.json for --resume) and every step's
  // graph is scaled from that profile (train/layer_latency.h).
  compress::PruningTarget target = compress::PruningTarget::kMacs;
  int latency_runs = 50;
  bool per_cost = false;  // compress::ChannelPruningOptions::per_cost
  std::string criterion = "l1";  // l1, l2, bn, taylor
  int steps = 1;                 // 1: one-shot
  int64_t round_to = 8;          // kept channel counts are multiples of it
  int taylor_batches = 16;       // taylor: training batches whose w * dL/dw are summed
  // After each step's cut (before its fine-tuning): step 1..steps and the cut's report.
  std::function<void(int step, int steps, const compress::ChannelPruningReport& report)> on_cut;
  // Before each step's fine-tuning starts: the job's own callbacks follow.
  std::function<void(int step, int steps, int epochs)> on_finetune;
};

struct StructuredPruningResult {
  std::vector<compress::ChannelPruningReport> steps;  // one per step
  std::vector<TrainingJobResult> training;            // one per step that fine-tuned in this process
  ir::Graph model;                                    // the final model (also written to job.output)
  int64_t macs_before = 0;
  int64_t macs_after = 0;
  int64_t parameters_before = 0;
  int64_t parameters_after = 0;
  // kLatency: the latency model's figures, milliseconds at 1 thread (measured, then scaled).
  double latency_before_ms = 0;
  double latency_after_ms = 0;
};

Result<StructuredPruningResult> run_structured_pruning(const StructuredPruningOptions& options,
                                                      const TrainingJobCallbacks& callbacks = {});

// First-order Taylor scores for compress::taylor_importance: for every trainable parameter of
// `model`, the sum over `batches` batches of `loader` (started at epoch 0) of w * dL/dw, with the
// model in eval mode (running batch-norm statistics) and cross entropy on the batch's labels.
Result<compress::TaylorScores> accumulate_taylor_scores(const ir::Graph& model, data::DataLoader& loader, int batches,
                                                        int threads);

}  // namespace gramlite::train
