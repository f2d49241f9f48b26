#include "gramlite/ir/op_traits.h"

#include <array>
#include <variant>

#include "gramlite/ir/attributes.h"

namespace gramlite::ir {
namespace {

// The index of alternative T in ir::Attributes, at compile time.
template <typename T, typename Variant>
struct AlternativeIndex;
template <typename T, typename... Ts>
struct AlternativeIndex<T, std::variant<Ts...>> {
  static constexpr size_t value = [] {
    constexpr bool matches[] = {std::is_same_v<T, Ts>...};
    for (size_t i = 0; i < sizeof...(Ts); ++i) {
      if (matches[i]) return i;
    }
    return sizeof...(Ts);
  }();
};
template <typename T>
constexpr size_t attrs = AlternativeIndex<T, Attributes>::value;

constexpr size_t kAny = OpTraits::kVariadic;
constexpr size_t kNoConst = OpTraits::kNoConstantInputs;
constexpr uint8_t bit(size_t i) { return static_cast<uint8_t>(1u << i); }

using K = OpKind;
using A = Activation;
using C = ChannelRule;

// In OpKind order, one row per kind; the static_asserts below make a new op kind fail to compile
// here until it has its row.
// clang-format off
constexpr std::array<OpTraits, static_cast<size_t>(OpKind::kCount)> kTraits = {{
//  kind              name             min max   1st const  attributes                       fuse   computes          view   trainable          buffers            channels
  {K::kConv2d,        "Conv2d",        2,  3,    1,         attrs<Conv2dAttrs>,              true,  A::kNone,         false, bit(1) | bit(2),   0,                 C::kConvolution},
  {K::kBatchNorm,     "BatchNorm",     5,  5,    1,         attrs<BatchNormAttrs>,           true,  A::kNone,         false, bit(1) | bit(2),   bit(3) | bit(4),   C::kPassThrough},
  {K::kRelu,          "Relu",          1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kRelu,         false, 0,                 0,                 C::kPassThrough},
  {K::kRelu6,         "Relu6",         1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kRelu6,        false, 0,                 0,                 C::kPassThrough},
  {K::kHardSwish,     "HardSwish",     1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kHardSwish,    false, 0,                 0,                 C::kPassThrough},
  {K::kHardSigmoid,   "HardSigmoid",   1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kHardSigmoid,  false, 0,                 0,                 C::kPassThrough},
  {K::kSigmoid,       "Sigmoid",       1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kSigmoid,      false, 0,                 0,                 C::kPassThrough},
  {K::kAdd,           "Add",           2,  2,    kNoConst,  attrs<std::monostate>,           true,  A::kNone,         false, 0,                 0,                 C::kCoupled},
  {K::kMul,           "Mul",           2,  2,    kNoConst,  attrs<std::monostate>,           false, A::kNone,         false, 0,                 0,                 C::kCoupled},
  {K::kConcat,        "Concat",        1,  kAny, kNoConst,  attrs<ConcatAttrs>,              false, A::kNone,         false, 0,                 0,                 C::kConcat},
  {K::kMaxPool,       "MaxPool",       1,  1,    kNoConst,  attrs<Pool2dAttrs>,              false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
  {K::kAvgPool,       "AvgPool",       1,  1,    kNoConst,  attrs<Pool2dAttrs>,              false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
  {K::kGlobalAvgPool, "GlobalAvgPool", 1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
  {K::kFlatten,       "Flatten",       1,  1,    kNoConst,  attrs<FlattenAttrs>,             false, A::kNone,         true,  0,                 0,                 C::kFlatten},
  {K::kReshape,       "Reshape",       1,  1,    kNoConst,  attrs<ReshapeAttrs>,             false, A::kNone,         true,  0,                 0,                 C::kOpaque},
  {K::kLinear,        "Linear",        2,  3,    1,         attrs<std::monostate>,           true,  A::kNone,         false, bit(1) | bit(2),   0,                 C::kLinear},
  {K::kDropout,       "Dropout",       1,  1,    kNoConst,  attrs<DropoutAttrs>,             false, A::kNone,         true,  0,                 0,                 C::kPassThrough},
  {K::kSoftmax,       "Softmax",       1,  1,    kNoConst,  attrs<SoftmaxAttrs>,             false, A::kNone,         false, 0,                 0,                 C::kOpaque},
  {K::kPad,           "Pad",           1,  1,    kNoConst,  attrs<PadAttrs>,                 false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
  {K::kQuantize,      "Quantize",      1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
  {K::kDequantize,    "Dequantize",    1,  1,    kNoConst,  attrs<std::monostate>,           false, A::kNone,         false, 0,                 0,                 C::kPassThrough},
}};
// clang-format on

constexpr OpTraits kInvalid = {K::kCount, "Invalid", 0, 0, kNoConst, 0, false, A::kNone, false, 0, 0, C::kOpaque};

constexpr bool rows_in_order() {
  for (size_t i = 0; i < kTraits.size(); ++i) {
    if (static_cast<size_t>(kTraits[i].kind) != i) return false;
  }
  return true;
}

// Facts that must agree with each other within a row.
constexpr bool row_consistent(const OpTraits& t) {
  if (t.min_inputs < 1 || t.min_inputs > t.max_inputs) return false;
  if (t.attributes_index >= std::variant_size_v<Attributes>) return false;
  // Parameters are constant inputs the op can have.
  const unsigned parameters = static_cast<unsigned>(t.trainable_inputs) | t.buffer_inputs;
  if ((t.trainable_inputs & t.buffer_inputs) != 0) return false;
  for (size_t i = 0; i < 8; ++i) {
    if ((parameters & (1u << i)) != 0 && (i < t.first_constant_input || i >= t.max_inputs)) return false;
  }
  // An activation op is elementwise and unary; it carries no second activation.
  if (t.computes != Activation::kNone &&
      (t.max_inputs != 1 || t.can_fuse_activation || t.channel_rule != ChannelRule::kPassThrough)) {
    return false;
  }
  // A view returns input 0's memory unchanged: one input, nothing applied on top.
  if (t.output_aliases_input && (t.max_inputs != 1 || t.can_fuse_activation)) return false;
  // Weight layers are the ops whose channel rule reads a weight.
  const bool weight_rule = t.channel_rule == ChannelRule::kConvolution || t.channel_rule == ChannelRule::kLinear;
  if (weight_rule != ((t.trainable_inputs & bit(1)) != 0 && t.buffer_inputs == 0)) return false;
  return true;
}

constexpr bool rows_consistent() {
  for (const OpTraits& t : kTraits) {
    if (!row_consistent(t)) return false;
  }
  return true;
}

constexpr bool names_unique() {
  for (size_t i = 0; i < kTraits.size(); ++i) {
    for (size_t j = i + 1; j < kTraits.size(); ++j) {
      if (std::string_view(kTraits[i].name) == kTraits[j].name) return false;
    }
  }
  return true;
}

static_assert(kTraits.size() == static_cast<size_t>(OpKind::kCount), "one op-traits row per op kind");
static_assert(rows_in_order(), "kTraits must list every op kind once, in OpKind order");
static_assert(rows_consistent(), "an op-traits row contradicts itself (see row_consistent)");
static_assert(names_unique(), "op names must be unique (op_kind_from_name reads them back)");

}  // namespace

const char* channel_rule_name(ChannelRule rule) {
  switch (rule) {
    case ChannelRule::kPassThrough: return "pass-through";
    case ChannelRule::kCoupled: return "coupled";
    case ChannelRule::kConcat: return "concat";
    case ChannelRule::kConvolution: return "convolution";
    case ChannelRule::kLinear: return "linear";
    case ChannelRule::kFlatten: return "flatten";
    case ChannelRule::kOpaque: return "opaque";
  }
  return "invalid";
}

const OpTraits& op_traits(OpKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kTraits.size() ? kTraits[index] : kInvalid;
}

bool is_trainable_input(OpKind kind, size_t input_index) {
  return input_index < 8 && (op_traits(kind).trainable_inputs & bit(input_index)) != 0;
}

bool is_buffer_input(OpKind kind, size_t input_index) {
  return input_index < 8 && (op_traits(kind).buffer_inputs & bit(input_index)) != 0;
}

}  // namespace gramlite::ir
