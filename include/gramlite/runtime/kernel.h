// The typed kernel interface every backend implements (XNNPACK's create -> reshape -> run).
//
//   auto kernel = factory(context);      // once per node: check attributes and dtypes, pack weights
//   kernel->reshape(context);            // per batch size: check shapes, size the scratch (cheap)
//   kernel->run(io, pool);               // many times: no checks, no allocation, cannot fail
//
// Tensors are described by dtype, concrete shape and quantization parameters, and reach run() as
// untyped pointers, so one interface carries float32 today and int8 / fp16 kernels later.
//
// Lifetimes: a kernel may keep pointers into the graph it was created for (its node, constant
// data, QuantParams): the Session owns that graph and outlives its kernels. KernelContext itself
// and its vectors are valid only during the create / reshape call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/ir/graph.h"

namespace gramlite::runtime {

// How a kernel lays out the 4-D activations it reads and writes. The graph's shapes are always
// written NCHW; a kernel declaring kNhwc keeps the same logical tensor in memory as [N, H, W, C].
// The session inserts a conversion between a producer and a consumer that disagree (only where the
// layouts actually differ in memory: not for H = W = 1 or C = 1, nor for tensors of other ranks),
// and hands graph inputs and outputs over as NCHW. Fast backends declare kNhwc for every node they
// run, so consecutive fast nodes never convert.
enum class Layout : uint8_t { kNchw, kNhwc };
const char* layout_name(Layout layout);
// Whether a tensor of this (NCHW) shape has different memory in the two layouts.
bool layouts_differ(const ir::Shape& shape);

// One tensor as a kernel sees it. An absent optional input has present == false.
struct TensorDesc {
  bool present = false;
  ir::DType dtype = ir::DType::kFloat32;
  ir::Shape shape;                         // concrete for the batch being planned
  const ir::QuantParams* quant = nullptr;  // the graph tensor's parameters (empty for float tensors)
  const ir::Tensor* tensor = nullptr;      // the graph tensor (name, constant data, sparsity)
  bool is_constant() const { return tensor != nullptr && tensor->is_constant(); }
};

// What a factory and reshape() see.
struct KernelContext {
  const ir::Graph& graph;
  const ir::Node& node;
  std::vector<TensorDesc> inputs;   // one per node input
  std::vector<TensorDesc> outputs;  // one per node output
  int thread_count = 1;             // threads run() will be given
  bool fp16_arithmetic = false;     // float32 nodes may compute in fp16 (SessionOptions::fp16_arithmetic)
};

// Pointers for one run. inputs[i] is node input i (arena, graph input or constant data; nullptr
// for an absent input), outputs[i] node output i; scratch holds scratch_bytes() bytes, 64-byte
// aligned. All are borrowed for the call.
struct KernelIo {
  const void* const* inputs = nullptr;
  void* const* outputs = nullptr;
  void* scratch = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Says dtype, op and algorithm: "conv2d_f32_im2col_gemm", "conv2d_f32_direct".
  virtual const char* name() const = 0;
  // Plans for the shapes in `context` (a new batch): checks them and sizes the scratch. Called
  // once after creation and again whenever the session is reshaped; never rebuilds packed weights.
  virtual Status reshape(const KernelContext& context) = 0;
  // Bytes of temporary memory run() needs (valid after reshape).
  virtual size_t scratch_bytes() const { return 0; }
  // Bytes of weights the kernel repacked into memory it owns.
  virtual size_t packed_weight_bytes() const { return 0; }
  virtual void run(const KernelIo& io, ThreadPool* pool) const = 0;
  // The layout run() expects for input `index` / writes for output `index` (see Layout).
  virtual Layout input_layout(size_t /*index*/) const { return Layout::kNchw; }
  virtual Layout output_layout(size_t /*index*/) const { return Layout::kNchw; }
};

// Creates a kernel for context.node. An error with code kUnsupported means "this kernel cannot
// run this node" (the backend declines, the session asks the next one); any other error means the
// node itself is invalid.
using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const KernelContext& context);

// Helpers for kernels.
inline const float* input_f32(const KernelIo& io, size_t index) { return static_cast<const float*>(io.inputs[index]); }
inline float* output_f32(const KernelIo& io, size_t index) { return static_cast<float*>(io.outputs[index]); }
inline float* scratch_f32(const KernelIo& io) { return static_cast<float*>(io.scratch); }
inline bool has_input(const ir::Node& node, size_t index) {
  return index < node.inputs.size() && node.inputs[index] != ir::kNoTensor;
}
// The constant float data of node input `index`, or nullptr if it is not a float32 constant.
const float* constant_floats(const KernelContext& context, size_t index);
// Fails (kUnsupported) unless the node's fused activation is kNone.
Status require_no_fused_activation(const ir::Node& node);
// Number of elements of a concrete shape (as size_t; 0 for a dynamic one).
size_t element_count_of(const ir::Shape& shape);
// "GlobalAvgPool" -> "global_avg_pool": op names as kernel names use them.
std::string snake_case_op_name(ir::OpKind kind);

// A kernel whose whole state is a Params struct computed from the shapes: reshape() recomputes it
// with `plan`, run() calls `run_fn`. Most plain kernels are one of these.
template <typename Params>
class PlannedKernel final : public Kernel {
 public:
  using Plan = Result<Params> (*)(const KernelContext& context);
  using Run = void (*)(const Params& params, const KernelIo& io, ThreadPool* pool);
  PlannedKernel(std::string name, Plan plan, Run run_fn) : name_(std::move(name)), plan_(plan), run_(run_fn) {}
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext& context) override {
    GRAMLITE_ASSIGN_OR_RETURN(params_, plan_(context));
    return Status::Ok();
  }
  void run(const KernelIo& io, ThreadPool* pool) const override { run_(params_, io, pool); }

 private:
  std::string name_;
  Plan plan_;
  Run run_;
  Params params_{};
};

// Creates a PlannedKernel after checking that `plan` accepts the creation shapes, so a kernel that
// cannot handle them declines (kUnsupported) at creation rather than failing at reshape.
template <typename Params>
Result<std::unique_ptr<Kernel>> make_planned_kernel(const KernelContext& context, std::string name,
                                                   typename PlannedKernel<Params>::Plan plan,
                                                   typename PlannedKernel<Params>::Run run_fn) {
  GRAMLITE_RETURN_IF_ERROR(plan(context).status());
  return std::unique_ptr<Kernel>(std::make_unique<PlannedKernel<Params>>(std::move(name), plan, run_fn));
}

}  // namespace gramlite::runtime
