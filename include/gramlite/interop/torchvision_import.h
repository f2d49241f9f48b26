// import_torchvision: a torchvision state_dict (.pth / .pt, from torch.save) as a zoo graph.
//
//   gramlite::interop::ImportOptions options;          // class count and width inferred
//   Result<ir::Graph> graph = gramlite::interop::import_torchvision("resnet50-19c8e357.pth", "resnet50", options);
//
// The zoo builds each torchvision architecture with parameters named exactly as its state_dict
// keys, so import is: infer the build options from the tensors' shapes, build the graph without
// drawing random weights, copy every tensor by name. A file that does not fit the architecture
// fails with ONE error listing every missing key, unexpected key and shape mismatch, so that a
// user sees the whole problem (wrong architecture? wrong width? a renamed head?) at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/interop/torch_state_dict.h"
#include "gramlite/ir/graph.h"

namespace gramlite::interop {

struct ImportOptions {
  // Unset: taken from the classifier weight's first dim (fc.weight, classifier.1.weight, ...).
  std::optional<int> num_classes;
  // Unset: for architectures with a width multiplier, the first width whose graph matches every
  // tensor shape in the file (kCandidateWidths, then multiples of 0.05 up to 3.0); 1.0 otherwise.
  std::optional<double> alpha;
  int input_size = 0;                    // 0: the architecture's default (224; 299 for inception_v3)
  std::optional<bool> include_softmax;   // unset: as torchvision (logits)
  std::vector<std::string> class_names;  // empty: "class_0", ...; else one per class
  // torchvision's Inception3(transform_input=True) (the default whenever inception_v3 is built with
  // pretrained weights, so also for models fine-tuned from them) re-normalises its ImageNet-
  // normalised input to (x - 0.5) / 0.5 inside forward(). The zoo graph has no such step; setting
  // this records the equivalent preprocessing (mean = std = 0.5) in the metadata instead.
  bool inception_transform_input = false;
  StateDictReadOptions read;
};

// Width multipliers tried first, in order, when ImportOptions::alpha is unset (torchvision's and
// the MobileNet papers' published values).
inline constexpr double kCandidateWidths[] = {1.0, 0.75, 0.5, 0.35, 1.4, 1.3, 0.25, 1.25, 1.5, 2.0};

struct ImportReport {
  int num_classes = 0;
  double alpha = 1.0;
  size_t imported = 0;                // tensors copied into the graph
  std::vector<std::string> skipped;   // keys deliberately not imported (num_batches_tracked, AuxLogits.*)
};

Result<ir::Graph> import_torchvision(const std::string& weights_path, const std::string& arch,
                                     const ImportOptions& options = {}, ImportReport* report = nullptr);

// The same from a state dict already read (its `source` is recorded as the provenance).
Result<ir::Graph> import_torchvision_state_dict(const StateDict& state, const std::string& arch,
                                               const ImportOptions& options = {}, ImportReport* report = nullptr);

}  // namespace gramlite::interop
