// The torch side of TorchGraph, for src/train only (includes libtorch). Everything here may throw
// c10::Error; the public entry points in torch_graph.cc catch it.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>

#include "gramlite/ir/graph.h"
#include "train/torch_graph.h"

namespace gramlite::train {

struct TorchGraph::Impl {
  struct NodeState;
  // What quantization-aware training (fake_quant.h) changes in a forward pass: the graph inputs as
  // they enter, and the execution of each node (its weights fake-quantized or folded with a batch
  // norm, its output fake-quantized). Absent: the plain float graph.
  struct ForwardHooks {
    virtual ~ForwardHooks() = default;
    virtual at::Tensor on_input(size_t input, const at::Tensor& x, bool training) = 0;
    // Runs nodes[index] (in place of internal::run_node); `node_training` is run_node's flag (the
    // graph trains and this node's statistics are not frozen), `training` the graph's.
    virtual std::vector<at::Tensor> run_node(size_t index, const NodeState& state, std::vector<at::Tensor> inputs,
                                             bool node_training, bool training, at::Generator& generator) = 0;
  };
  struct NodeState {
    ir::Node node;
    std::vector<int> input_slots;   // per node input: index into values (-1: absent)
    std::vector<int> output_slots;  // per node output
    bool frozen_statistics = false; // a BatchNorm that normalises with its running stats even in training
  };
  struct Constant {
    std::string tensor;
    std::string node;  // first reader
    ir::Shape shape;
    at::Tensor value;
    bool trainable = false;
  };

  std::vector<NodeState> nodes;        // topological order
  std::vector<Constant> constants;     // slots [0, constants.size()) of the value table
  int value_count = 0;                 // constants + activations
  std::vector<int> input_slots;        // graph inputs
  std::vector<ir::Shape> input_shapes; // per graph input (dim 0 is the batch)
  std::vector<int> output_slots;       // graph outputs
  bool training = false;
  at::Generator generator;
  std::shared_ptr<ForwardHooks> hooks;  // quantization-aware training; null: none
};

namespace internal {

// A libtorch exception as one line (c10::Error without its C++ backtrace).
std::string describe(const std::exception& e);

// Runs the graph on torch tensors (one per graph input, NCHW float32), recording autograd when
// parameters require grad. Returns one tensor per graph output. Throws c10::Error or a std::
// exception carrying the failing node's name.
std::vector<at::Tensor> forward(TorchGraph& graph, const std::vector<at::Tensor>& inputs);

// Executes one node (torch_graph_ops.cc). `training` selects BatchNorm/Dropout behaviour.
std::vector<at::Tensor> run_node(const ir::Node& node, const std::vector<at::Tensor>& inputs, bool training,
                                 at::Generator& generator);

// The trainable parameters that currently require grad, for an optimizer.
std::vector<at::Tensor> trainable_tensors(TorchGraph& graph);

}  // namespace internal
}  // namespace gramlite::train
