// Internal to interop: matching a state dict's tensors against a graph's parameters by name.
#pragma once

#include <string>
#include <vector>

#include "gramlite/interop/torch_state_dict.h"
#include "gramlite/ir/graph.h"

namespace gramlite::interop::detail {

struct StateDictMatch {
  std::vector<std::string> missing;     // graph parameters the file lacks
  std::vector<std::string> unexpected;  // file tensors the graph has no parameter for
  std::vector<std::string> mismatched;  // "name: file [..] float16 vs model [..]"
  std::vector<std::string> skipped;     // file tensors deliberately ignored
  std::vector<std::pair<ir::TensorId, const StateDictTensor*>> pairs;  // matched, shapes equal

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  size_t problems() const { return missing.size() + unexpected.size() + mismatched.size(); }
};

// Keys a torchvision state dict holds that no inference graph needs: batch-norm step counters
// (`*.num_batches_tracked`) and Inception's training-only auxiliary classifier (`AuxLogits.*`).
bool is_skipped_key(const std::string& name);

// The graph's parameters are its float32 constants; each must appear in `state` with the same shape.
StateDictMatch match_state_dict(const ir::Graph& graph, const StateDict& state);

// One message listing every problem, each list truncated after `max_listed` names.
std::string describe_mismatch(const StateDictMatch& match, size_t max_listed = 10);

}  // namespace gramlite::interop::detail
