// The reference kernels' registration table: one line per op kind (registry.cc).
#pragma once

#include "ir/op_kind.h"
#include "runtime/reference/kernel.h"

namespace gramlite::runtime::reference {

struct KernelRegistration {
  ir::OpKind kind;
  KernelFactory factory;
  // The output reuses input 0's memory (Flatten, Reshape, Dropout); the session plans them as one
  // buffer and the kernel does nothing.
  bool output_aliases_input = false;
};

// The registration for `kind`, or nullptr if the reference runtime has no kernel for it.
const KernelRegistration* find_reference_kernel(ir::OpKind kind);

}  // namespace gramlite::runtime::reference
