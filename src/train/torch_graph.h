// Executes a graph IR with libtorch, with autograd: the training path of gramlite (the runtime stays
// the path that ships). Each node's constants become torch tensors: Conv2d/Linear weight and bias and
// BatchNorm gamma/beta are trainable parameters; BatchNorm running mean/var and any other constant
// are buffers. write_back() copies the trained values into an IR graph.
//
// This header is torch-free on purpose (including torch costs ~30 s per file); the torch-tensor API
// used by the trainer lives in torch_graph_internal.h, for src/train only. libtorch exceptions never
// leave this module: every entry point returns a Status naming the node at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

struct TorchGraphOptions {
  // at::set_num_threads(threads) on create (a process-wide libtorch setting; libtorch's default
  // here is one thread). <= 0 leaves libtorch's setting alone.
  int threads = 1;
  uint64_t seed = 0;  // seeds this graph's own generator (dropout masks)
};

struct ParameterInfo {
  std::string node;    // the first node that reads the tensor
  std::string tensor;  // the IR tensor name (unique in a graph)
  int64_t numel = 0;
  bool trainable = false;      // a parameter (weight, bias, BN gamma/beta), not a buffer
  bool requires_grad = false;  // currently trained (false for every buffer)
};

class TorchGraph {
 public:
  // Copies every constant of `graph` into torch tensors; `graph` is not referenced afterwards.
  // Fails (naming the node) on a dtype other than float32/float16, quantized or sparse constants,
  // or an invalid graph. Starts in eval mode.
  static Result<std::unique_ptr<TorchGraph>> create(const ir::Graph& graph, TorchGraphOptions options = {});
  ~TorchGraph();
  TorchGraph(const TorchGraph&) = delete;
  TorchGraph& operator=(const TorchGraph&) = delete;

  // Training: BatchNorm normalises with batch statistics and updates the running stats (momentum
  // 0.1, unbiased variance, as PyTorch); Dropout is active. Eval: running stats; Dropout identity.
  void set_training(bool training);
  bool is_training() const;

  // Inference convenience: the first graph input, NCHW float32, `batch` images (its size must be
  // batch times the input's per-image element count); returns the first graph output, flattened.
  // Runs without recording gradients.
  Result<std::vector<float>> forward(const std::vector<float>& input, int64_t batch);

  // A frozen BatchNorm runs in inference mode even while training (running statistics, which it
  // does not update), as a Keras layer with trainable = False. Not found: kNotFound; not a BatchNorm:
  // kInvalidArgument.
  Status set_batch_norm_frozen(const std::string& node_name, bool frozen);

  // Parameters and buffers in graph order.
  std::vector<ParameterInfo> parameters() const;
  // Freezes (false) or unfreezes (true) one trainable parameter by IR tensor name.
  Status set_requires_grad(const std::string& tensor_name, bool requires_grad);

  // Copies every parameter and buffer into the constant of the same name in `graph` (new Buffers,
  // same dtype as there: float16 constants stay float16). The graph must have each tensor with the
  // same shape (normally the graph this was created from, or a copy of it).
  Status write_back(ir::Graph& graph) const;

  // For src/train only (torch_graph_internal.h defines it).
  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  explicit TorchGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gramlite::train
