// The interface between a Session and the reference kernels.
//
// A kernel is created once per node when a session is prepared for a batch size (all checking,
// weight packing and scratch sizing happen then) and run many times. run() does no checks, no
// allocation and never fails.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "base/status.h"
#include "ir/graph.h"
#include "base/thread_pool.h"

namespace gramlite::runtime::reference {

// What a kernel factory sees at prepare time. References stay valid only during the call; a
// kernel that needs weight data later copies it or reads it through KernelIo::inputs.
struct KernelContext {
  const ir::Graph& graph;
  const ir::Node& node;
  std::vector<ir::Shape> input_shapes;   // concrete; one per node input (empty for an absent input)
  std::vector<ir::Shape> output_shapes;  // concrete; one per node output
  int thread_count = 1;                  // threads run() will be given
};

// Pointers for one run. inputs[i] is node input i (an activation in the arena, a graph input, or
// a constant's data; nullptr for an absent optional input); outputs[i] is node output i. scratch
// holds scratch_bytes() bytes, 64-byte aligned, valid during the call only.
struct KernelIo {
  const float* const* inputs = nullptr;
  float* const* outputs = nullptr;
  float* scratch = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Bytes of temporary memory run() needs (for thread_count threads).
  virtual size_t scratch_bytes() const { return 0; }
  // Bytes of weights the kernel repacked into memory it owns.
  virtual size_t packed_weight_bytes() const { return 0; }
  virtual void run(const KernelIo& io, ThreadPool* pool) const = 0;
};

using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const KernelContext& context);

// Helpers for factories.
inline bool has_input(const ir::Node& node, size_t index) {
  return index < node.inputs.size() && node.inputs[index] != ir::kNoTensor;
}
// The constant float data of node input `index`, or nullptr if it is not a float32 constant.
const float* constant_floats(const KernelContext& context, size_t index);
// Fails unless the node's fused activation is kNone (for kernels that cannot apply one).
Status require_no_fused_activation(const ir::Node& node);
// Number of elements of a concrete shape (as size_t; 0 for a dynamic one).
size_t element_count_of(const ir::Shape& shape);

}  // namespace gramlite::runtime::reference
