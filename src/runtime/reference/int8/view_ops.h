// Flatten, Reshape and Dropout on int8: views, as the float kernel (../view_ops.h). The session
// gives the output its input's memory, so run() does nothing; the output must therefore carry the
// input's dtype and quantization parameters (a view cannot rescale).
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_view_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
