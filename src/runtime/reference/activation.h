// Activations: the five standalone activation ops (Relu, Relu6, HardSwish, HardSigmoid, Sigmoid)
// and the same functions applied as a node's fused activation by Conv2d, Linear, Add, Mul and
// BatchNorm. The five ops share this one file because they are one kernel with a different
// scalar function; the scalar functions below are the single definition everything else uses.
//
// Semantics (PyTorch, elementwise, any shape):
//   relu(x)        = max(x, 0)                       (NaN stays NaN)
//   relu6(x)       = min(max(x, 0), 6)               (torch.nn.functional.relu6 / hardtanh(0, 6))
//   hardswish(x)   = x * relu6(x + 3) / 6            (torch.nn.functional.hardswish)
//   hardsigmoid(x) = relu6(x + 3) / 6                (torch.nn.functional.hardsigmoid)
//   sigmoid(x)     = 1 / (1 + exp(-x)), computed without overflow for large |x|
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>

#include "gramlite/ir/op_kind.h"
#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

inline float relu(float x) { return x < 0.0f ? 0.0f : x; }
inline float relu6(float x) { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }
inline float hard_sigmoid(float x) { return relu6(x + 3.0f) * (1.0f / 6.0f); }
inline float hard_swish(float x) { return x * relu6(x + 3.0f) * (1.0f / 6.0f); }
inline float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

inline float apply_activation(ir::Activation activation, float x) {
  switch (activation) {
    case ir::Activation::kNone: return x;
    case ir::Activation::kRelu: return relu(x);
    case ir::Activation::kRelu6: return relu6(x);
    case ir::Activation::kHardSwish: return hard_swish(x);
    case ir::Activation::kHardSigmoid: return hard_sigmoid(x);
    case ir::Activation::kSigmoid: return sigmoid(x);
    case ir::Activation::kCount: break;
  }
  return x;
}

// out[i] = activation(in[i]) for i < count; in == out is allowed. kNone copies (or does nothing
// when in == out).
void apply_activation(ir::Activation activation, const float* in, float* out, size_t count);
// In place.
inline void apply_activation(ir::Activation activation, float* data, size_t count) {
  apply_activation(activation, data, data, count);
}

// The standalone activation op over `count` elements, split across the pool's threads.
void activation_f32(ir::Activation activation, const float* input, float* output, size_t count, ThreadPool* pool);

// Factory for kRelu, kRelu6, kHardSwish, kHardSigmoid, kSigmoid.
Result<std::unique_ptr<Kernel>> create_activation_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
