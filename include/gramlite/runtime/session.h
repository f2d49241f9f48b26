// Session: runs a graph with kernels chosen per node from an ordered list of backends.
//
//   auto session = Session::create(graph, {.pool = &pool});   // validate, optimise a private copy
//   session.value()->reshape(8);                               // kernels (first time), shapes, memory plan
//   session.value()->run(inputs, outputs);                     // many times
//   session.value()->reshape(1);                               // another batch: same kernels, new plan
//
// Lifecycle (XNNPACK's create -> reshape -> run):
//  - create() validates the graph and, unless options.optimize is false, runs
//    ir::optimize_for_inference on a private copy (the caller's graph is never modified); it
//    resolves the backend names (an unknown name is an error). fp16 weights and int8 weights of
//    float layers (the fp16 and dynamic-range modes) are widened to float32 in that copy. The
//    session holds the graph (and so its weight buffers) for its whole life; kernels may point
//    into it.
//  - the first reshape(batch) creates one kernel per node, once for the session's life: for each
//    node the backends are asked in order and the first that accepts it wins (the reference
//    backend, last, runs every float32 op and every int8 op of docs/quantization.md). Kernels
//    check attributes and dtypes and pack weights then; a node no backend accepts (sparse-encoded
//    weights today) is an error naming the node, the tensor and each backend's reason. The choice is kept per node
//    (node_plans()).
//  - every reshape(batch) computes concrete shapes for the batch, lets each kernel re-plan for
//    them (cheap: no weight packing) and plans one memory arena for all activations and kernel
//    scratch by tensor lifetime (memory_planner.h). It replaces the previous plan. prepare() is
//    the old name of reshape().
//  - run() checks only that it got the right number of pointers, allocates nothing and cannot
//    fail otherwise. With options.profile it also times every node (node_seconds()).
//
// Threads: options.pool is borrowed, not owned, and must outlive the session (nullptr: the
// caller's thread). A session is not re-entrant: one run() at a time (the arena is shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/runtime/backend.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime {

// One node's output as a SessionOptions::node_observer sees it, right after the node ran.
struct NodeOutput {
  size_t node = 0;                   // index in graph().nodes
  ir::TensorId tensor = ir::kNoTensor;
  ir::DType dtype = ir::DType::kFloat32;
  const ir::Shape* shape = nullptr;  // concrete for the planned batch
  const void* data = nullptr;        // valid only during the call (the arena is reused)
};

struct SessionOptions {
  ThreadPool* pool = nullptr;  // borrowed; nullptr runs everything on the caller's thread
  bool optimize = true;        // run ir::optimize_for_inference on a private copy of the graph
  // Backends by name, in order of preference; "reference" is appended when missing, so every
  // float32 node has a kernel. Built-in names: builtin_backend_names().
  std::vector<std::string> backends = builtin_backend_names();
  // Further backends the names may refer to (borrowed; must outlive the session).
  std::vector<const Backend*> extra_backends = {};
  // Time every node in run() (node_seconds()); off keeps the run loop free of clock reads.
  bool profile = false;
  // Called after each node runs, in node order, with its output while that memory still holds it:
  // calibration and per-layer error reports read every activation this way. Empty by default, and
  // run() then makes no calls.
  std::function<void(const NodeOutput&)> node_observer = {};
  // Let float32 convolutions compute in fp16 where the CPU has fp16 arithmetic (ARMv8.2-A FP16:
  // twice the lanes of float32). Values between nodes stay float32; each such convolution converts
  // its input and output (docs/runtime.md, "fp16 arithmetic"). Elsewhere (x86) nothing changes.
  bool fp16_arithmetic = false;
};

// Which backend and kernel run a node.
struct NodePlan {
  std::string node;  // the node's name
  ir::OpKind op = ir::OpKind::kConv2d;
  std::string backend;
  std::string kernel;
  std::string layout = "nchw";  // how the kernel lays out its 4-D activations (kernel.h, Layout)
  int conversions = 0;          // layout conversions inserted before it (valid after reshape)
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const ir::Graph> graph, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Plans execution for `batch` (> 0) images: every graph input's dim 0 becomes `batch`. A graph
  // input whose dim 0 is concrete (not dynamic) accepts only that batch; another is an error.
  // The first call also creates the kernels; later calls reuse them.
  Status reshape(int64_t batch);
  // The former name of reshape(), kept for callers.
  Status prepare(int64_t batch) { return reshape(batch); }

  // inputs[i]: the data of graph input i, element_count(input_shapes()[i]) floats, dense NCHW;
  // outputs[i]: room for element_count(output_shapes()[i]) floats. Both are borrowed for the call.
  // Errors only when the session is not prepared or the pointer counts are wrong.
  Status run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs);
  // Convenience: checks the input sizes and returns freshly allocated outputs.
  Result<std::vector<std::vector<float>>> run(const std::vector<std::vector<float>>& inputs);

  // The graph being executed (the optimised copy when options.optimize).
  const ir::Graph& graph() const { return *graph_; }
  size_t input_count() const { return graph_->inputs.size(); }
  // Threads kernels split their work over (1 without a pool).
  int thread_count() const { return gramlite::thread_count(options_.pool); }
  size_t output_count() const { return graph_->outputs.size(); }

  // The backends asked for each node, in order (the last is the reference backend).
  const std::vector<const Backend*>& backends() const { return backends_; }
  // Valid once kernels exist (after the first successful reshape): one entry per graph node, in
  // node order; kernel(i) is node i's kernel object (the same one across reshapes).
  bool has_kernels() const { return !kernels_.empty() || graph_->nodes.empty(); }
  const std::vector<NodePlan>& node_plans() const { return node_plans_; }
  const Kernel* kernel(size_t node) const { return node < kernels_.size() ? kernels_[node].get() : nullptr; }
  // Kernels created over the session's life (a reshape does not create any).
  size_t kernels_created() const { return kernels_created_; }
  // Whether run() times its nodes (options.profile).
  bool profiling() const { return options_.profile; }
  // With options.profile: seconds each node took in the last run(), in node order, including the
  // layout conversions of its inputs (zeros before
  // the first run; empty without profiling).
  const std::vector<double>& node_seconds() const { return node_seconds_; }

  // Valid after a successful reshape().
  bool is_prepared() const { return prepared_; }
  int64_t batch() const { return batch_; }
  const std::vector<ir::Shape>& input_shapes() const { return input_shapes_; }
  const std::vector<ir::Shape>& output_shapes() const { return output_shapes_; }
  // Bytes of the activation + scratch arena (one allocation, reused across runs).
  size_t arena_bytes() const { return arena_bytes_; }
  // Bytes of weights the session reads: the graph's constants used by nodes, plus what kernels
  // repacked into memory of their own.
  size_t weight_bytes() const { return weight_bytes_; }
  // What the arena would take if no two buffers shared memory: the sum of all activation tensors
  // and kernel scratch buffers of the plan (each rounded up to 64 bytes).
  size_t unshared_bytes() const { return unshared_bytes_; }

 private:
  struct Step;
  std::vector<ir::Shape> tensor_shapes_;  // per tensor, for node_observer
  struct InputPatch;
  struct AlignedFree {
    void operator()(void* memory) const;
  };

  Session(std::shared_ptr<const ir::Graph> graph, SessionOptions options, std::vector<const Backend*> backends);
  void reset_plan();
  Status create_kernels(const std::vector<ir::Shape>& shapes);

  std::shared_ptr<const ir::Graph> graph_;
  SessionOptions options_;
  std::vector<const Backend*> backends_;
  std::vector<std::unique_ptr<Kernel>> kernels_;  // per node; created once
  std::vector<std::unique_ptr<Kernel>> conversion_kernels_;  // layout conversions of the plan
  std::vector<uint8_t> observer_buffer_;                     // NHWC outputs converted for node_observer
  std::vector<NodePlan> node_plans_;
  size_t kernels_created_ = 0;
  std::vector<double> node_seconds_;

  bool prepared_ = false;
  int64_t batch_ = 0;
  std::vector<ir::Shape> input_shapes_;
  std::vector<ir::Shape> output_shapes_;
  size_t arena_bytes_ = 0;
  size_t weight_bytes_ = 0;
  size_t unshared_bytes_ = 0;

  std::unique_ptr<void, AlignedFree> arena_;
  std::vector<Step> steps_;
  std::vector<InputPatch> input_patches_;     // step input pointers that are graph inputs
  std::vector<const void*> output_sources_;   // per graph output: where its data is (nullptr: a graph input)
  std::vector<int> output_source_inputs_;     // per graph output: the graph input it reads, or -1
  std::vector<size_t> output_sizes_;          // per graph output: element count
  std::vector<size_t> input_sizes_;           // per graph input: element count
};

}  // namespace gramlite::runtime
