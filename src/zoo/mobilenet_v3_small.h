// MobileNetV3-Small in torchvision's layout (torchvision.models.mobilenet_v3_small), parameter
// names equal to its state_dict keys.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

const ArchInfo& mobilenet_v3_small_info();
Result<ir::Graph> build_mobilenet_v3_small(const BuildOptions& options);

}  // namespace gramlite::zoo
