// Adam and SGD over libtorch tensors, written out step for step as PyTorch 1.13's single-tensor
// implementations (torch/optim/adam.py, sgd.py) so that a run matches a Python one, and so that
// the state is plain named tensors the checkpoint can store. For src/train only (includes ATen).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace gramlite::train {

enum class OptimizerKind { kAdam, kSgd };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double weight_decay = 0.0;  // L2 added to the gradient (PyTorch's Adam and SGD, not AdamW)
  double momentum = 0.9;      // SGD
  bool nesterov = false;      // SGD
  double beta1 = 0.9;         // Adam
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

// One named state tensor, e.g. {"features.0.0.weight", "exp_avg", tensor}.
struct OptimizerStateEntry {
  std::string parameter;
  std::string slot;
  at::Tensor value;
};

class Optimizer {
 public:
  Optimizer(std::vector<at::Tensor> parameters, std::vector<std::string> names, OptimizerOptions options);

  void zero_grad();  // drops the gradients (set_to_none)
  void step(double learning_rate);

  int64_t steps() const { return steps_; }
  // Every state tensor (after the first step: Adam's exp_avg and exp_avg_sq, SGD's momentum_buffer).
  std::vector<OptimizerStateEntry> state() const;
  // Restores what state() returned; `steps` is the step count. Throws std::invalid_argument naming
  // an unknown parameter or slot, or a shape mismatch.
  void load_state(int64_t steps, const std::vector<OptimizerStateEntry>& entries);

 private:
  struct Slot {
    at::Tensor first;   // Adam exp_avg / SGD momentum_buffer
    at::Tensor second;  // Adam exp_avg_sq
  };
  std::vector<at::Tensor> parameters_;
  std::vector<std::string> names_;
  std::vector<Slot> slots_;
  OptimizerOptions options_;
  int64_t steps_ = 0;
};

}  // namespace gramlite::train
