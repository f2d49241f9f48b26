// The XNNPACK backend's kernel factories, one per (op, dtype) line of registry.cc.
#pragma once

#include "gramlite/runtime/kernel.h"
#include "runtime/xnnpack/conv2d.h"

namespace gramlite::runtime::xnnpack {

Result<std::unique_ptr<Kernel>> create_linear_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_binary_f32(const KernelContext& context);   // Add, Mul
Result<std::unique_ptr<Kernel>> create_add_s8(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_clamp_f32(const KernelContext& context);    // Relu, Relu6
Result<std::unique_ptr<Kernel>> create_clamp_s8(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_max_pool_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_max_pool_s8(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_global_avg_pool_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_global_avg_pool_s8(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_concat(const KernelContext& context);        // float32 and int8
Result<std::unique_ptr<Kernel>> create_softmax_f32(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_view(const KernelContext& context);          // Flatten, Reshape, Dropout
Result<std::unique_ptr<Kernel>> create_quantize(const KernelContext& context);
Result<std::unique_ptr<Kernel>> create_dequantize(const KernelContext& context);

}  // namespace gramlite::runtime::xnnpack
