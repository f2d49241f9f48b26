// A node: one operator application. Inputs and outputs are indices into Graph::tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/ir/attributes.h"
#include "gramlite/ir/op_kind.h"

namespace gramlite::ir {

using TensorId = int32_t;
inline constexpr TensorId kNoTensor = -1;

struct Node {
  std::string name;
  OpKind kind = OpKind::kRelu;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  Attributes attrs;
  Activation fused_activation = Activation::kNone;

  template <typename T>
  const T& attr() const { return std::get<T>(attrs); }
  template <typename T>
  T& attr() { return std::get<T>(attrs); }
};

}  // namespace gramlite::ir
