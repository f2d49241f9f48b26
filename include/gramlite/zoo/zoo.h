// The model zoo: ImageNet-style classifiers built as IR, with a width multiplier and a class count,
// parameters named as in the original framework so that published weights map by name.
//
//   gramlite::zoo::BuildOptions options;
//   options.num_classes = 2;
//   Result<ir::Graph> graph = gramlite::zoo::build("mobilenet_v2", options);
#pragma once

#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

// Every architecture the zoo can build, in a stable order.
std::vector<ArchInfo> list_architectures();

// The entry for `arch`, or kNotFound naming the known architectures.
Result<ArchInfo> find_architecture(const std::string& arch);

// Builds `arch` with randomly initialised (seeded) weights. Errors: unknown architecture
// (kNotFound), options it cannot honour (kInvalidArgument), each naming the architecture.
Result<ir::Graph> build(const std::string& arch, const BuildOptions& options);

}  // namespace gramlite::zoo
