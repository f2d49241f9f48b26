// MobileNet v1 in the layout of keras.applications.MobileNet (TF 2.x), with Keras' layer and
// weight names ("conv1/kernel", "conv_dw_1/depthwise_kernel", "conv_pw_1_bn/moving_mean", ...).
// Kernels are stored in the IR's OIHW layout; a Keras HWIO kernel maps onto it by transposition.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/zoo/build_options.h"

namespace gramlite::zoo {

const ArchInfo& mobilenet_v1_info();
Result<ir::Graph> build_mobilenet_v1(const BuildOptions& options);

}  // namespace gramlite::zoo
