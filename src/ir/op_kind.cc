#include "ir/op_kind.h"

#include <array>

namespace gramlite::ir {
namespace {

constexpr std::array<const char*, static_cast<size_t>(OpKind::kCount)> kOpNames = {
    "Conv2d", "BatchNorm", "Relu", "Relu6", "HardSwish", "HardSigmoid", "Sigmoid",
    "Add",    "Mul",       "Concat", "MaxPool", "AvgPool", "GlobalAvgPool", "Flatten",
    "Reshape", "Linear",   "Dropout", "Softmax", "Pad",
};

constexpr std::array<const char*, static_cast<size_t>(Activation::kCount)> kActivationNames = {
    "none", "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid",
};

}  // namespace

const char* op_kind_name(OpKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kOpNames.size() ? kOpNames[index] : "Invalid";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < kOpNames.size(); ++i) {
    if (name == kOpNames[i]) return static_cast<OpKind>(i);
  }
  return std::nullopt;
}

bool is_valid_op_kind(uint32_t raw) { return raw < static_cast<uint32_t>(OpKind::kCount); }

const char* activation_name(Activation activation) {
  const auto index = static_cast<size_t>(activation);
  return index < kActivationNames.size() ? kActivationNames[index] : "invalid";
}

bool is_valid_activation(uint32_t raw) { return raw < static_cast<uint32_t>(Activation::kCount); }

std::optional<Activation> activation_of(OpKind kind) {
  switch (kind) {
    case OpKind::kRelu: return Activation::kRelu;
    case OpKind::kRelu6: return Activation::kRelu6;
    case OpKind::kHardSwish: return Activation::kHardSwish;
    case OpKind::kHardSigmoid: return Activation::kHardSigmoid;
    case OpKind::kSigmoid: return Activation::kSigmoid;
    default: return std::nullopt;
  }
}

bool can_fuse_activation(OpKind kind) {
  return kind == OpKind::kConv2d || kind == OpKind::kLinear || kind == OpKind::kAdd ||
         kind == OpKind::kBatchNorm;
}

}  // namespace gramlite::ir
