// The portable backend's Add and Mul: the reference kernel's loops, planned with the same-shape
// and per-channel fast paths of reference::plan_broadcast.
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::portable {

Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::portable
