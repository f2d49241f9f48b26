// Quantization-aware training (QAT): fine-tuning with the int8 model's rounding simulated in the
// forward pass, so the weights learn to live with it (Jacob et al. 2018; Krishnamoorthi 2018).
//
// Fake quantization in the libtorch execution of the IR: weights per output channel (symmetric,
// [-127, 127]; per tensor on request), activations per tensor with moving-average min/max
// observers, gradients through the rounding by the straight-through estimator; batch norm folded
// into the convolution's weights during training (the standard recipe), its statistics frozen
// after `freeze_batch_norm_epoch`, the observers after `freeze_observers_epoch`. Checkpointed and
// resumable like `train` (job.resume). The result is what compress::convert_to_int8 turns into
// the int8 model: the prepared float graph (batch norm folded) and the learned activation ranges.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/train/training_job.h"

namespace gramlite::train {

struct QuantizationAwareOptions {
  TrainingJobOptions job;  // the model to start from (job.model: a trained float model), data, epochs...
  bool per_tensor_weights = false;
  int weight_bits = 8;
  // Batch norm uses (and updates) batch statistics in the first N epochs, its running statistics
  // (frozen) from epoch N + 1 on; N < 0: floor(2/3 of the epochs). The observers move in the first
  // M epochs and keep their ranges afterwards; M < 0: floor(3/4 of the epochs), at least 1; M = 0
  // is refused (they need data).
  int freeze_batch_norm_epoch = -1;
  int freeze_observers_epoch = -1;
  float observer_momentum = 0.01f;  // moving-average min/max: range += momentum * (batch's - range)
};

struct QuantizationAwareResult {
  TrainingJobResult training;
  ir::Graph prepared_float;       // weights as trained, batch norm folded, activations fused
  ir::ActivationRanges ranges;    // per activation tensor of prepared_float, from the observers
};

// The job is train::run_training_job's (the same datasets, loaders, checkpoint and logs), with
// fake quantization in every forward pass, validation included: the epoch kept (best on
// validation) is the best fake-quantized model, and its observers' ranges are the result's.
// job.output, if given, receives that model in float (batch norm unfolded, the form `train`
// writes); the int8 model is compress::convert_to_int8(prepared_float, ranges, {per_tensor_weights,
// weight_bits}). The checkpoint holds the observers and the freezes; job.resume continues it and,
// with one thread, ends exactly where the uninterrupted run does. A checkpoint of a float `train`
// run (or of QAT with other settings) is refused, naming the settings that differ.
Result<QuantizationAwareResult> run_quantization_aware_training(const QuantizationAwareOptions& options,
                                                                const TrainingJobCallbacks& callbacks = {});

}  // namespace gramlite::train
