// Session: runs a graph with the reference kernels.
//
//   auto session = Session::create(graph, {.pool = &pool});   // validate, optimise a private copy
//   session.value()->prepare(8);                               // shapes, kernels, memory plan
//   session.value()->run(inputs, outputs);                     // many times
//
// Lifecycle (XNNPACK's create -> reshape/setup -> run):
//  - create() validates the graph and, unless options.optimize is false, runs
//    ir::optimize_for_inference on a private copy (the caller's graph is never modified). The
//    session holds the graph (and so its weight buffers) for its whole life.
//  - prepare(batch) does every check that depends on meaning: concrete shapes for the batch, one
//    kernel per node (float32 only: int8 / fp16 tensors and sparse-encoded weights are reported as
//    unsupported, naming the node and tensor), per-kernel weight packing, and one memory arena for
//    all activations and kernel scratch, planned by tensor lifetime (memory_planner.h). prepare
//    may be called again with another batch; it replaces the previous plan.
//  - run() checks only that it got the right number of pointers, allocates nothing and cannot
//    fail otherwise.
//
// Threads: options.pool is borrowed, not owned, and must outlive the session (nullptr: the
// caller's thread). A session is not re-entrant: one run() at a time (the arena is shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"
#include "runtime/reference/kernel.h"
#include "base/thread_pool.h"

namespace gramlite::runtime {

struct SessionOptions {
  ThreadPool* pool = nullptr;  // borrowed; nullptr runs everything on the caller's thread
  bool optimize = true;        // run ir::optimize_for_inference on a private copy of the graph
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const ir::Graph> graph, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Plans execution for `batch` (> 0) images: every graph input's dim 0 becomes `batch`. A graph
  // input whose dim 0 is concrete (not dynamic) accepts only that batch; another is an error.
  Status prepare(int64_t batch);

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

  // Valid after a successful prepare().
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
  struct InputPatch;
  struct AlignedFree {
    void operator()(void* memory) const;
  };

  Session(std::shared_ptr<const ir::Graph> graph, SessionOptions options);
  void reset_plan();

  std::shared_ptr<const ir::Graph> graph_;
  SessionOptions options_;

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
  std::vector<const float*> output_sources_;  // per graph output: where its data is (nullptr: a graph input)
  std::vector<int> output_source_inputs_;     // per graph output: the graph input it reads, or -1
  std::vector<size_t> output_sizes_;          // per graph output: element count
  std::vector<size_t> input_sizes_;           // per graph input: element count
};

}  // namespace gramlite::runtime
