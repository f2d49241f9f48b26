// Backends: named sets of kernels. For each node a Session asks its backends in order; the first
// that accepts the node wins, and the reference backend (every op, plain loops) is always last.
//
// A backend built from a table (TableBackend) holds one KernelRegistration per (op kind, dtype):
// adding an int8 kernel is a new file plus one line in its backend's table, no switch to edit.
// Built-in backends, in the default order:
//   "sparse"    - gramlite's sparse 1x1 convolution / linear kernels (fp32 unstructured, int8 1x4
//                 blocks) for layers sparser than the measured break-even; every build (sparse/);
//   "onednn"    - oneDNN convolutions on x86 (onednn/registry.cc), where built;
//   "xnnpack"   - XNNPACK operators, NHWC, float32 and int8 (xnnpack/registry.cc); built where
//                 libxnnpack-dev is found, and then the default, ahead of portable;
//   "portable"  - im2col + blocked GEMM (OpenBLAS sgemm where built with it), depthwise direct,
//                 broadcast fast paths: the default, ahead of reference (portable/registry.cc);
//   "reference" - straightforward loops, the oracle for every other kernel (reference/registry.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // A kernel for context.node (created, not yet reshaped), or an error: kUnsupported when the
  // backend declines the node (the message says why; the session tries the next backend), any
  // other code when the node is invalid.
  virtual Result<std::unique_ptr<Kernel>> create_kernel(const KernelContext& context) const = 0;
};

// One kernel of a table: it runs `kind` when input 0 (or output 0 for a node without inputs) has
// `dtype`. Float kernels also need every other tensor of the node to be dense float32; that is
// checked by TableBackend before the factory runs, unless the registration says the factory checks
// dtypes itself (a kernel that converts, Quantize; every int8 kernel, whose weights, bias and
// outputs have dtypes of their own).
struct KernelRegistration {
  ir::OpKind kind;
  ir::DType dtype;
  KernelFactory factory;
  bool factory_checks_dtypes = false;
};

class TableBackend final : public Backend {
 public:
  TableBackend(const char* name, const KernelRegistration* table, size_t count)
      : name_(name), table_(table), count_(count) {}
  const char* name() const override { return name_; }
  Result<std::unique_ptr<Kernel>> create_kernel(const KernelContext& context) const override;
  // The registration for (kind, dtype), or nullptr.
  const KernelRegistration* find(ir::OpKind kind, ir::DType dtype) const;

 private:
  const char* name_;
  const KernelRegistration* table_;
  size_t count_;
};

const Backend& reference_backend();
const Backend& portable_backend();
// The XNNPACK backend, or nullptr where gramlite was built without XNNPACK.
const Backend* xnnpack_backend_if_built();
// The oneDNN backend (int8 convolutions on x86), or nullptr where gramlite was built without it.
const Backend* onednn_backend_if_built();

// The built-in backend called `name`, or nullptr.
const Backend* find_builtin_backend(std::string_view name);
// Names of the built-in backends, in default order.
std::vector<std::string> builtin_backend_names();

}  // namespace gramlite::runtime
