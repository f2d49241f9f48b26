// The classification head of a graph: the last Linear (or 1x1 Conv2d, as Keras' "conv_preds")
// before the output, reached from the first graph output through Softmax, Reshape, Flatten and
// Dropout only. Transfer learning replaces it with a freshly initialised one for the new classes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::zoo {

struct ClassifierHead {
  int node = -1;                      // index of the Linear / Conv2d node
  ir::TensorId weight = ir::kNoTensor;
  ir::TensorId bias = ir::kNoTensor;  // kNoTensor when the layer has none
  int64_t num_classes = 0;            // the weight's first dimension
  std::vector<int> path;              // the nodes between the head and the output (Softmax, Reshape, ...)
};

// Errors (kUnsupported) name the node where the walk stopped.
Result<ClassifierHead> find_classifier_head(const ir::Graph& graph);

struct ReplaceHeadOptions {
  int num_classes = 2;
  std::vector<std::string> class_names;  // empty: "class_0", ...; else one per class
  uint64_t seed = 0;                     // the new weights: nn.Linear's default init (uniform, 1/sqrt(fan_in))
};

// Gives the head `num_classes` outputs with new weights and a bias (added if it had none), rewrites
// Reshape targets on the path that named the old class count, updates every shape and the class
// names in the metadata. The tensors keep their names. On error the graph is unchanged.
Status replace_classifier_head(ir::Graph& graph, const ReplaceHeadOptions& options);

}  // namespace gramlite::zoo
