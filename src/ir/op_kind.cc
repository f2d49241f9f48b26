#include "gramlite/ir/op_kind.h"

#include <array>

#include "gramlite/ir/op_traits.h"

namespace gramlite::ir {
namespace {

constexpr std::array<const char*, static_cast<size_t>(Activation::kCount)> kActivationNames = {
    "none", "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid",
};

}  // namespace

const char* op_kind_name(OpKind kind) { return op_traits(kind).name; }

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < static_cast<size_t>(OpKind::kCount); ++i) {
    const auto kind = static_cast<OpKind>(i);
    if (name == op_traits(kind).name) return kind;
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
  const Activation computes = op_traits(kind).computes;
  if (computes == Activation::kNone) return std::nullopt;
  return computes;
}

bool can_fuse_activation(OpKind kind) { return op_traits(kind).can_fuse_activation; }

}  // namespace gramlite::ir
