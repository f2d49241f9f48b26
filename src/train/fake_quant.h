// Fake quantization on torch tensors, for quantization-aware training (src/train only: includes
// libtorch). The numerics are docs/quantization.md's, value for value:
//
//   activations: q = nearbyint(x / scale) + zero_point (division in double, ties to even), clamped
//                to [-128, 127]; out = scale * float(q - zero_point)  (= ir::quantize_value, then
//                ir::dequantize_value), scale and zero point by ir::choose_activation_quant from a
//                moving-average min/max observer;
//   weights:     the same with zero point 0, [-L, L], L = 2^(bits-1) - 1, scale per output channel
//                (axis 0) or per tensor by ir::choose_weight_scale of max |w|.
//
// Why not at::fake_quantize_per_tensor_affine / _per_channel_affine: libtorch 1.13's CPU kernels
// compute nearbyint(x * (1 / scale)) in float, which lands on the other side of a tie for some x
// (quantization_aware_test shows one), so they would disagree with the int8 graph's Quantize by one
// step there. The gradient here is theirs: the straight-through estimator, 1 where the rounded value
// was inside [qmin, qmax], 0 where it was clamped (tested against them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"
#include "train/torch_graph.h"

namespace gramlite::train {

// Fake-quantizes `x` per tensor (any shape), with the straight-through gradient.
at::Tensor fake_quantize_per_tensor(const at::Tensor& x, float scale, int32_t zero_point,
                                    int32_t qmin = ir::kInt8Min, int32_t qmax = ir::kInt8Max);
// Fake-quantizes a Conv2d / Linear weight symmetrically: one scale per output channel (axis 0), or
// one for the tensor. The scales (computed from the weight, treated as constants by the gradient)
// are returned in `scales` when not null.
at::Tensor fake_quantize_weight(const at::Tensor& weight, bool per_tensor, int bits, std::vector<float>* scales = nullptr);

// PyTorch's MovingAverageMinMaxObserver: the first batch sets min and max, later batches move them
// by `momentum` towards the batch's min and max (in float, as PyTorch).
struct MovingAverageObserver {
  std::string tensor;  // the activation it observes (a tensor name of the prepared float graph)
  bool initialized = false;
  float min = 0.0f;
  float max = 0.0f;
  void update(const at::Tensor& x, float momentum);
  void update(float batch_min, float batch_max, float momentum);
  ir::AffineQuant quant() const { return ir::choose_activation_quant(min, max); }
};

struct FakeQuantOptions {
  bool per_tensor_weights = false;
  int weight_bits = 8;
  bool quantize_weights = true;      // false: float weights (tests of the folding alone)
  bool quantize_activations = true;  // false: float activations
  float observer_momentum = 0.01f;
};

// Fake quantization installed on a TorchGraph (its forward hooks). The quantization points are those
// compress::convert_to_int8 puts in the int8 graph of ir::optimize_for_inference(graph): each graph
// input (after its Quantize) and each output of a node of the prepared graph (after its fused
// activation); views and max pooling (Flatten, Reshape, MaxPool, Pad) share their input's
// parameters. Each Conv2d / Linear that fold_batch_norm would fold with the BatchNorm after it
// runs as PyTorch's fused ConvBn for QAT (Krishnamoorthi 2018, section 3.2): its weight scaled by
// gamma / sqrt(running_var + eps) and then fake-quantized, the convolution's result divided by that
// factor again (plus the bias) and handed to the BatchNorm, which normalises it with the batch's
// statistics while they train (the correction factor running_std / batch_std, implicitly) and
// with the running ones once frozen, when the pair computes exactly the folded convolution.
class FakeQuantization {
 public:
  // `graph` is the graph `torch` was created from. Fails if it cannot be prepared.
  static Result<std::shared_ptr<FakeQuantization>> attach(TorchGraph& torch, const ir::Graph& graph,
                                                          const FakeQuantOptions& options);
  // Observers move only while the graph trains and they are not frozen.
  void set_observers_frozen(bool frozen) { observers_frozen_ = frozen; }
  bool observers_frozen() const { return observers_frozen_; }

  std::vector<MovingAverageObserver>& observers() { return observers_; }
  const std::vector<MovingAverageObserver>& observers() const { return observers_; }
  // Sets the observers from ranges by tensor name (every observer must have one): a trained model's
  // fake-quantized forward pass.
  Status set_ranges(const ir::ActivationRanges& ranges);
  // The range of every quantized activation of the prepared graph, the shared ones included, from
  // the observers (or from `snapshot`, a copy of them taken earlier). Fails naming an observer that
  // never saw a batch.
  Result<ir::ActivationRanges> ranges(const std::vector<MovingAverageObserver>* snapshot = nullptr) const;

  // The prepared graph's quantized activation tensor names and the observer each one uses.
  const std::map<std::string, size_t>& observer_of() const { return observer_of_; }

  struct Impl;  // the forward hooks (fake_quant.cc)

 private:
  FakeQuantOptions options_;
  bool observers_frozen_ = false;
  std::vector<MovingAverageObserver> observers_;
  std::map<std::string, size_t> observer_of_;
};

}  // namespace gramlite::train
