// Flatten, Reshape and Dropout: ops whose output is their input's bytes under another shape.
//
//   Flatten(axis): [d0, ..., d_{r-1}] -> [d0 * ... * d_{axis-1}, d_axis * ... * d_{r-1}]
//   Reshape(shape): ONNX semantics (0 copies the input dim, one -1 is inferred); row-major order
//                   is kept, so the data is unchanged.
//   Dropout: identity at inference (torch.nn.functional.dropout with training=False).
//
// No data moves: the session gives the output the same memory as the input (the memory planner
// treats them as one buffer; ir::op_traits(kind).output_aliases_input), so the kernel's run()
// does nothing. The ops share one file because they share that one behaviour.
#pragma once

#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

// Factory for kFlatten, kReshape, kDropout: checks that element counts agree.
Result<std::unique_ptr<Kernel>> create_view_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
