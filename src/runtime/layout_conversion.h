// The kernel a session inserts between a producer and a consumer that lay out a 4-D activation
// differently (kernel.h, Layout): a blocked transpose of each image's [C][H*W] plane to [H*W][C]
// or back. Shapes are the tensor's logical NCHW shape.
#pragma once

#include <memory>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime {

std::unique_ptr<Kernel> make_layout_conversion(Layout from, Layout to, ir::DType dtype, const ir::Shape& nchw_shape);

// The same transpose as a function: `planes` images of `rows` x `cols` elements of `element_bytes`
// each, source row-major [rows][cols], destination [cols][rows].
void transpose_planes(const void* source, void* destination, int64_t planes, int64_t rows, int64_t cols,
                      size_t element_bytes, ThreadPool* pool);

}  // namespace gramlite::runtime
