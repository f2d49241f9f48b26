// Inception v3 in torchvision's layout (torchvision.models.inception_v3 with aux_logits=False,
// transform_input=False), parameter names equal to its state_dict keys. The auxiliary classifier
// is left out: it only feeds a training loss and never runs at inference.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

const ArchInfo& inception_v3_info();
Result<ir::Graph> build_inception_v3(const BuildOptions& options);

}  // namespace gramlite::zoo
