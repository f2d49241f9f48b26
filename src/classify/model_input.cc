#include "gramlite/classify/model_input.h"

#include <limits>

namespace gramlite::classify {

Result<ImageInputSize> image_input_size(const ir::Graph& graph, const std::string& label) {
  if (graph.inputs.size() != 1 || graph.outputs.size() != 1) {
    return unsupported("'", label, "' has ", graph.inputs.size(), " inputs and ", graph.outputs.size(),
                       " outputs; classifying images needs one image input and one output");
  }
  const ir::Shape& shape = graph.tensor(graph.inputs[0]).shape;
  const auto fits = [](int64_t d) { return d > 0 && d <= std::numeric_limits<int>::max(); };
  if (shape.size() != 4 || shape[1] != 3 || !fits(shape[2]) || !fits(shape[3])) {
    return unsupported("'", label, "' takes input ", ir::shape_to_string(shape),
                       "; classifying images needs [N, 3, H, W]");
  }
  return ImageInputSize{static_cast<int>(shape[3]), static_cast<int>(shape[2])};
}

}  // namespace gramlite::classify
