// The oneDNN backend's kernel factories (registry.cc): int8 and dense float32 convolutions on
// x86, where oneDNN's kernels outrun XNNPACK's (docs/runtime.md, "Choosing backends").
#pragma once

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::onednn {

Result<std::unique_ptr<Kernel>> create_conv2d_s8(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_conv2d_f32(const KernelContext& context);
// Whether create_conv2d_f32 runs convolutions on this CPU (AVX-512), or declines them all.
bool takes_float32_convolutions();

}  // namespace gramlite::runtime::onednn
