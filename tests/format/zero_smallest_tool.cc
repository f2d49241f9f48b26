// gramlite_zero_smallest_weights IN OUT FRACTION: IN with the smallest-magnitude FRACTION of every
// float32 Conv2d / Linear weight set to zero, saved as OUT (docs/model-format.md, "Compact sparse
// storage": how the file sizes there were measured).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gramlite/format/model_file.h"
#include "zero_smallest.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s IN OUT FRACTION\n", argv[0]);
    return 2;
  }
  const double fraction = std::strtod(argv[3], nullptr);
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    std::fprintf(stderr, "FRACTION must be in [0, 1]\n");
    return 2;
  }
  auto graph = gramlite::format::load_model(argv[1]);
  if (!graph.ok()) {
    std::fprintf(stderr, "%s\n", graph.status().message().c_str());
    return 4;
  }
  const int64_t zeroed = gramlite::format::testing::zero_smallest_weights(*graph, fraction);
  const gramlite::Status saved = gramlite::format::save_model(*graph, argv[2]);
  if (!saved.ok()) {
    std::fprintf(stderr, "%s\n", saved.message().c_str());
    return 1;
  }
  std::printf("%lld weights set to zero\n", static_cast<long long>(zeroed));
  return 0;
}
