// The XNNPACK backend's common kernel: one XNNPACK operator (or a few, for Concat) created once
// with the node's weights (XNNPACK packs them then), set up again only when the pointers it runs on
// change, and run on the ThreadPool's pthreadpool. Every kernel of this backend keeps its 4-D
// activations NHWC (kernel.h, Layout).
#pragma once

#include <xnnpack.h>

#include <memory>
#include <string>
#include <vector>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::xnnpack {

// Initializes XNNPACK once per process; an error when this CPU is not supported.
Status initialize();

// kUnsupported naming the XNNPACK call that refused, or Ok.
Status check(xnn_status status, const char* what);

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const {
    if (op != nullptr) xnn_delete_operator(op);
  }
};
using Operator = std::unique_ptr<struct xnn_operator, OperatorDeleter>;

inline pthreadpool_t pthreadpool_of(ThreadPool* pool) {
  return pool == nullptr ? nullptr : static_cast<pthreadpool_t>(pool->pthreadpool_handle());
}

// A kernel whose run() is: set up the operators if the pointers or the pool changed since the last
// run, then run them in order. Subclasses create the operators and implement setup().
class XnnKernel : public Kernel {
 public:
  explicit XnnKernel(std::string name) : name_(std::move(name)) {}
  const char* name() const override { return name_.c_str(); }
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  Status reshape(const KernelContext& context) override;
  void run(const KernelIo& io, ThreadPool* pool) const override;

 protected:
  // Called by reshape(): remember what setup() needs for this batch.
  virtual Status plan(const KernelContext& context) = 0;
  // Binds the operators to these pointers; XNNPACK checked the shapes at creation and plan().
  virtual xnn_status setup(const KernelIo& io, pthreadpool_t threadpool) const = 0;

  std::vector<Operator> operators_;

 private:
  std::string name_;
  // What the operators were last set up for. run() is const for the session; the binding is a cache.
  mutable std::vector<const void*> bound_inputs_;
  mutable std::vector<void*> bound_outputs_;
  mutable pthreadpool_t bound_pool_ = nullptr;
  mutable void* bound_scratch_ = nullptr;  // kernels that stage data in scratch bind to it too
  mutable bool bound_ = false;
  size_t input_count_ = 0;
  size_t output_count_ = 0;
};

// The activation bounds of a fused ReLU / ReLU6 (none: +-infinity); kUnsupported for others.
Result<std::pair<float, float>> float_activation_bounds(ir::Activation activation);
// The same in the int8 domain of an output with this scale / zero point.
Result<std::pair<int8_t, int8_t>> int8_activation_bounds(ir::Activation activation, float scale, int32_t zero_point);

// Per-tensor scale and zero point of an int8 tensor; kUnsupported when per channel or not int8.
struct TensorQuant {
  float scale = 1.0f;
  int8_t zero_point = 0;
};
Result<TensorQuant> per_tensor_int8(const TensorDesc& desc);

}  // namespace gramlite::runtime::xnnpack
