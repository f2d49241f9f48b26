// Pad, constant mode, int8, any rank (geometry as the float kernel, ../pad.h). The output has the
// input's params and the padding is the pad value quantized with them: q(value) (0 -> z_x).
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_pad_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
