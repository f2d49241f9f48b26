// What every zoo builder takes, and the checks and metadata they share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::zoo {

// Which framework an architecture's layout and parameter names follow.
enum class Family { kTorchvision, kKeras };
const char* family_name(Family family);

struct ArchInfo {
  std::string name;         // "mobilenet_v2"
  std::string description;  // one line for `gramlite zoo list`
  int default_input_size;   // square input side in pixels
  // Smallest side the zoo accepts: the original's own minimum where it states one (Keras
  // MobileNet 32, torchvision Inception v3 75), else 32, the network's total stride, below which
  // the last stages would see a 1x1 map made mostly of padding.
  int min_input_size;
  Family family;
  bool has_width_multiplier;  // whether BuildOptions::alpha may differ from 1
};

struct BuildOptions {
  int num_classes = 1000;
  // Width multiplier (Keras `alpha`, torchvision `width_mult`). A double, not a float, because
  // torchvision rounds `channels * width_mult` in Python doubles: 1.4f would round differently.
  double alpha = 1.0;
  int input_size = 0;  // 0: the architecture's default (224; 299 for inception_v3)
  uint64_t seed = 0;
  // Whether the graph ends in a softmax. Unset: as the original does (Keras MobileNet ends with the
  // softmax layer "predictions"; torchvision models output logits).
  std::optional<bool> include_softmax;
  // false: skip drawing random weights (they stay zero), for callers that load real weights.
  bool random_weights = true;
};

// Checks the options against `info`; returns the input size to use (the default when 0).
Result<int> resolve_options(const ArchInfo& info, const BuildOptions& options);

// Metadata for a freshly built model: architecture, class names "class_0".., the framework's
// preprocessing, whether the output is logits or probabilities, input size and build settings.
ir::ModelMetadata make_metadata(const ArchInfo& info, const BuildOptions& options, int input_size,
                                bool ends_in_softmax);

// Whether the finished graph should end in a softmax, given the original's own habit.
inline bool wants_softmax(const BuildOptions& options, bool original_has_softmax) {
  return options.include_softmax.value_or(original_has_softmax);
}

}  // namespace gramlite::zoo
