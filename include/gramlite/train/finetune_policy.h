// Which parameters train when fine-tuning, as in the study: the top FRACTION of the backbone's
// layers plus the classification head.
//
// The unit is a *weight layer* (ir/weight_layer.h): one Conv2d or Linear node (a depthwise
// convolution counts as one layer, like every other convolution) together with the BatchNorm that
// directly follows it, if any. The backbone is every weight layer except the head (zoo::find_classifier_head); its layers
// are ordered as the graph's topological order runs (input to output), and "top" means nearest
// the output. FRACTION f unfreezes the last round(f * L) of the L backbone layers (halves round
// up): f = 0 trains the head only (a feature extractor), f = 1 trains everything. MobileNetV2 has
// L = 52, so f = 0.1 unfreezes 5 layers.
//
// Frozen layers keep their weights, biases and BatchNorm gamma/beta fixed, and their BatchNorms
// run in inference mode (running statistics, no updates), as Keras does for a layer with
// trainable = False; a BatchNorm that follows no weight layer trains with the first layer after it.
#pragma once

#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

// A weight layer by name, with the BatchNorms that freeze and train with it.
struct WeightLayer {
  std::string node;                    // the Conv2d / Linear node
  // The BatchNorm right after it, if any, then any BatchNorm that follows no weight layer and
  // comes before this one in the graph (it is frozen or trained with this layer).
  std::vector<std::string> batch_norms;
  std::vector<std::string> tensors;    // its parameter tensors (weight, bias, BN gamma, beta)
};

struct FinetunePlan {
  double fraction = 1.0;
  std::vector<WeightLayer> backbone;   // input to output
  WeightLayer head;
  int unfrozen_layers = 0;             // the last `unfrozen_layers` of `backbone` train
  std::vector<std::string> trainable_tensors;  // head and unfrozen layers' parameters
  std::vector<std::string> frozen_batch_norms; // BatchNorm nodes that run in inference mode
};

// Errors: fraction outside [0, 1] or not finite; a graph without a recognisable classifier head.
Result<FinetunePlan> plan_finetune(const ir::Graph& graph, double fraction);

}  // namespace gramlite::train
