#include "zoo/arch_common.h"

namespace gramlite::zoo {

int make_divisible(double value, int divisor) {
  // Python: max(divisor, int(v + divisor / 2) // divisor * divisor); int() truncates, v > 0.
  const auto rounded = static_cast<int>(static_cast<long long>(value + divisor / 2.0) / divisor * divisor);
  int result = rounded < divisor ? divisor : rounded;
  if (static_cast<double>(result) < 0.9 * value) result += divisor;
  return result;
}

Result<ir::Graph> finish_classifier(GraphBuilder& builder, TensorId logits, const ArchInfo& info,
                                    const BuildOptions& options, int input_size, bool original_has_softmax,
                                    const std::string& softmax_name) {
  const bool softmax = wants_softmax(options, original_has_softmax);
  TensorId out = softmax ? builder.softmax(softmax_name, logits, -1) : logits;
  builder.mark_output(out);
  auto graph = builder.finish(make_metadata(info, options, input_size, softmax));
  if (!graph.ok()) return graph.status().with_context(str_cat("building ", info.name));
  return graph;
}

}  // namespace gramlite::zoo
