// MobileNetV2 in torchvision's layout (torchvision.models.mobilenet_v2), parameter names equal to
// its state_dict keys.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

const ArchInfo& mobilenet_v2_info();
Result<ir::Graph> build_mobilenet_v2(const BuildOptions& options);

}  // namespace gramlite::zoo
