// ResNet-50 (v1.5: stride on the 3x3 conv) in torchvision's layout (torchvision.models.resnet50),
// parameter names equal to its state_dict keys.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

const ArchInfo& resnet50_info();
Result<ir::Graph> build_resnet50(const BuildOptions& options);

}  // namespace gramlite::zoo
