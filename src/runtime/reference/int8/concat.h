// Concat, int8, along any axis (geometry as the float kernel, ../concat.h). Each input is copied
// when its params equal the output's, else rescaled: y = clamp(requantize(q - z_i, s_i / s_y) + z_y).
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_concat_s8_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
