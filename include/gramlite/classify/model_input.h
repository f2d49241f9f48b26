// What a model must look like to classify images: one [N, 3, H, W] float input, one output.
#pragma once

#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::classify {

struct ImageInputSize {
  int width = 0;
  int height = 0;
};

// The input size of a one-image classifier. Errors (unsupported, naming `label`): not exactly one
// input and one output; an input that is not [N, 3, H, W] with concrete H and W.
Result<ImageInputSize> image_input_size(const ir::Graph& graph, const std::string& label);

}  // namespace gramlite::classify
