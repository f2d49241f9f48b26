// Where a training run's network comes from: a zoo architecture with random weights, torchvision
// weights (a state_dict file, or `imagenet`: torchvision's official file from the torch.hub cache),
// an ONNX model, or a gramlite model file to train further. The result has a classification head
// for the run's classes: the source's own when its classes match, a new seeded one otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

struct ModelSourceOptions {
  std::string arch;                 // zoo architecture (gramlite zoo list)
  std::string model_file;           // a gramlite model file instead of arch
  std::string pretrained = "none";  // with arch: none, imagenet, FILE.pth; or FILE.onnx without arch
  double alpha = 1.0;               // width multiplier: arch with random weights only
  int input_size = 0;               // square input side; 0: the source's
  uint64_t seed = 0;                // random weights and the new head
};

struct TrainingModel {
  ir::Graph graph;
  std::string description;  // one line: where it came from, e.g. "mobilenet_v2 (width 0.35, random weights, seed 0)"
};

Result<TrainingModel> make_training_model(const ModelSourceOptions& options, const std::vector<std::string>& class_names);

// torch.hub's cache folder: $TORCH_HOME/hub/checkpoints, $TORCH_HOME defaulting to
// $XDG_CACHE_HOME/torch and that to ~/.cache/torch (torch/hub.py).
std::string torch_hub_checkpoints_folder();

// The path of torchvision's official ImageNet weights for `arch` in the torch.hub cache; not found,
// with the URL to download and where to put it, when absent.
Result<std::string> find_imagenet_weights(const std::string& arch);

}  // namespace gramlite::train
