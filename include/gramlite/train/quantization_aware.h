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
  int freeze_batch_norm_epoch = -1;  // < 0: after 2/3 of the epochs
  int freeze_observers_epoch = -1;   // < 0: after 3/4 of the epochs
};

struct QuantizationAwareResult {
  TrainingJobResult training;
  ir::Graph prepared_float;       // weights as trained, batch norm folded, activations fused
  ir::ActivationRanges ranges;    // per activation tensor of prepared_float, from the observers
};

Result<QuantizationAwareResult> run_quantization_aware_training(const QuantizationAwareOptions& options,
                                                                const TrainingJobCallbacks& callbacks = {});

}  // namespace gramlite::train
