// The op-traits table: one consistent row per op kind, and the facts the old per-file switches
// held (arity, fusion, activations, views, parameters) unchanged.
#include "gramlite/ir/op_traits.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "gramlite/ir/attributes.h"

namespace gramlite::ir {
namespace {

constexpr size_t kKinds = static_cast<size_t>(OpKind::kCount);

std::vector<OpKind> all_kinds() {
  std::vector<OpKind> kinds;
  for (size_t i = 0; i < kKinds; ++i) kinds.push_back(static_cast<OpKind>(i));
  return kinds;
}

template <typename Pred>
std::set<OpKind> kinds_where(Pred pred) {
  std::set<OpKind> out;
  for (OpKind kind : all_kinds()) {
    if (pred(op_traits(kind))) out.insert(kind);
  }
  return out;
}

TEST(OpTraits, OneRowPerKindInOrderAndNamesRoundTrip) {
  EXPECT_EQ(kKinds, 21u);  // append-only: a new kind updates this test on purpose
  std::set<std::string> names;
  for (OpKind kind : all_kinds()) {
    const OpTraits& t = op_traits(kind);
    EXPECT_EQ(t.kind, kind);
    EXPECT_STREQ(op_kind_name(kind), t.name);
    EXPECT_EQ(op_kind_from_name(t.name), kind) << t.name;
    names.insert(t.name);
  }
  EXPECT_EQ(names.size(), kKinds);
  EXPECT_STREQ(op_kind_name(OpKind::kCount), "Invalid");
  EXPECT_STREQ(op_kind_name(static_cast<OpKind>(999)), "Invalid");
  EXPECT_FALSE(op_kind_from_name("Invalid").has_value());
  EXPECT_FALSE(op_kind_from_name("conv2d").has_value());
  EXPECT_EQ(op_traits(static_cast<OpKind>(999)).max_inputs, 0u);  // an invalid kind accepts no node
}

TEST(OpTraits, ArityMatchesTheOpDefinitions) {
  const auto arity = [](OpKind k) {
    const OpTraits& t = op_traits(k);
    return std::make_tuple(t.min_inputs, t.max_inputs, t.first_constant_input);
  };
  constexpr size_t kNone = OpTraits::kNoConstantInputs;
  EXPECT_EQ(arity(OpKind::kConv2d), std::make_tuple(size_t{2}, size_t{3}, size_t{1}));
  EXPECT_EQ(arity(OpKind::kLinear), std::make_tuple(size_t{2}, size_t{3}, size_t{1}));
  EXPECT_EQ(arity(OpKind::kBatchNorm), std::make_tuple(size_t{5}, size_t{5}, size_t{1}));
  EXPECT_EQ(arity(OpKind::kAdd), std::make_tuple(size_t{2}, size_t{2}, kNone));
  EXPECT_EQ(arity(OpKind::kMul), std::make_tuple(size_t{2}, size_t{2}, kNone));
  EXPECT_EQ(arity(OpKind::kConcat), std::make_tuple(size_t{1}, OpTraits::kVariadic, kNone));
  for (OpKind k : {OpKind::kRelu, OpKind::kRelu6, OpKind::kHardSwish, OpKind::kHardSigmoid, OpKind::kSigmoid,
                   OpKind::kMaxPool, OpKind::kAvgPool, OpKind::kGlobalAvgPool, OpKind::kFlatten, OpKind::kReshape,
                   OpKind::kDropout, OpKind::kSoftmax, OpKind::kPad, OpKind::kQuantize, OpKind::kDequantize}) {
    EXPECT_EQ(arity(k), std::make_tuple(size_t{1}, size_t{1}, kNone)) << op_kind_name(k);
  }
}

TEST(OpTraits, AttributesAlternativeHoldsTheOpsStruct) {
  EXPECT_TRUE(std::holds_alternative<Conv2dAttrs>(default_attributes(OpKind::kConv2d)));
  EXPECT_TRUE(std::holds_alternative<BatchNormAttrs>(default_attributes(OpKind::kBatchNorm)));
  EXPECT_TRUE(std::holds_alternative<Pool2dAttrs>(default_attributes(OpKind::kMaxPool)));
  EXPECT_TRUE(std::holds_alternative<Pool2dAttrs>(default_attributes(OpKind::kAvgPool)));
  EXPECT_TRUE(std::holds_alternative<ConcatAttrs>(default_attributes(OpKind::kConcat)));
  EXPECT_TRUE(std::holds_alternative<FlattenAttrs>(default_attributes(OpKind::kFlatten)));
  EXPECT_TRUE(std::holds_alternative<ReshapeAttrs>(default_attributes(OpKind::kReshape)));
  EXPECT_TRUE(std::holds_alternative<SoftmaxAttrs>(default_attributes(OpKind::kSoftmax)));
  EXPECT_TRUE(std::holds_alternative<PadAttrs>(default_attributes(OpKind::kPad)));
  EXPECT_TRUE(std::holds_alternative<DropoutAttrs>(default_attributes(OpKind::kDropout)));
  for (OpKind k : {OpKind::kRelu, OpKind::kAdd, OpKind::kMul, OpKind::kGlobalAvgPool, OpKind::kLinear}) {
    EXPECT_TRUE(std::holds_alternative<std::monostate>(default_attributes(k))) << op_kind_name(k);
  }
  for (OpKind k : all_kinds()) {
    EXPECT_EQ(default_attributes(k).index(), expected_attributes_index(k)) << op_kind_name(k);
    EXPECT_LT(expected_attributes_index(k), std::variant_size_v<Attributes>);
  }
  // The defaults are the structs' own defaults (not zero-filled).
  EXPECT_EQ(std::get<Conv2dAttrs>(default_attributes(OpKind::kConv2d)).groups, 1);
}

TEST(OpTraits, FusionActivationsAndViews) {
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.can_fuse_activation; }),
            (std::set<OpKind>{OpKind::kConv2d, OpKind::kBatchNorm, OpKind::kAdd, OpKind::kLinear}));
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.output_aliases_input; }),
            (std::set<OpKind>{OpKind::kFlatten, OpKind::kReshape, OpKind::kDropout}));
  // Each fusable activation is computed by exactly one op kind, and round-trips.
  for (uint32_t a = 1; a < static_cast<uint32_t>(Activation::kCount); ++a) {
    const auto activation = static_cast<Activation>(a);
    const auto computing = kinds_where([&](const OpTraits& t) { return t.computes == activation; });
    ASSERT_EQ(computing.size(), 1u) << activation_name(activation);
    EXPECT_EQ(activation_of(*computing.begin()), activation);
  }
  EXPECT_EQ(activation_of(OpKind::kRelu), Activation::kRelu);
  EXPECT_EQ(activation_of(OpKind::kHardSigmoid), Activation::kHardSigmoid);
  EXPECT_FALSE(activation_of(OpKind::kConv2d).has_value());
  EXPECT_FALSE(activation_of(OpKind::kSoftmax).has_value());
  for (OpKind k : all_kinds()) {
    const OpTraits& t = op_traits(k);
    if (t.computes != Activation::kNone) {
      EXPECT_FALSE(t.can_fuse_activation) << t.name;
      EXPECT_EQ(t.channel_rule, ChannelRule::kPassThrough) << t.name;
      EXPECT_EQ(t.max_inputs, 1u) << t.name;
    }
    if (t.output_aliases_input) {
      EXPECT_EQ(t.max_inputs, 1u) << t.name;
    }
  }
}

TEST(OpTraits, TrainableInputsAndBuffers) {
  for (OpKind k : {OpKind::kConv2d, OpKind::kLinear, OpKind::kBatchNorm}) {
    EXPECT_FALSE(is_trainable_input(k, 0)) << op_kind_name(k);
    EXPECT_TRUE(is_trainable_input(k, 1)) << op_kind_name(k);
    EXPECT_TRUE(is_trainable_input(k, 2)) << op_kind_name(k);
  }
  EXPECT_FALSE(is_trainable_input(OpKind::kBatchNorm, 3));
  EXPECT_FALSE(is_trainable_input(OpKind::kBatchNorm, 4));
  EXPECT_TRUE(is_buffer_input(OpKind::kBatchNorm, 3));
  EXPECT_TRUE(is_buffer_input(OpKind::kBatchNorm, 4));
  EXPECT_FALSE(is_buffer_input(OpKind::kBatchNorm, 1));
  EXPECT_FALSE(is_trainable_input(OpKind::kBatchNorm, 100));
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.trainable_inputs != 0; }),
            (std::set<OpKind>{OpKind::kConv2d, OpKind::kBatchNorm, OpKind::kLinear}));
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.buffer_inputs != 0; }), (std::set<OpKind>{OpKind::kBatchNorm}));
  for (OpKind k : all_kinds()) {
    const OpTraits& t = op_traits(k);
    for (size_t i = 0; i < 8; ++i) {
      if (is_trainable_input(k, i) || is_buffer_input(k, i)) {
        EXPECT_GE(i, t.first_constant_input) << t.name << " input " << i << " is a parameter but need not be constant";
      }
    }
  }
}

TEST(OpTraits, ChannelRules) {
  EXPECT_EQ(op_traits(OpKind::kConv2d).channel_rule, ChannelRule::kConvolution);
  EXPECT_EQ(op_traits(OpKind::kLinear).channel_rule, ChannelRule::kLinear);
  EXPECT_EQ(op_traits(OpKind::kConcat).channel_rule, ChannelRule::kConcat);
  EXPECT_EQ(op_traits(OpKind::kFlatten).channel_rule, ChannelRule::kFlatten);
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.channel_rule == ChannelRule::kCoupled; }),
            (std::set<OpKind>{OpKind::kAdd, OpKind::kMul}));
  EXPECT_EQ(kinds_where([](const OpTraits& t) { return t.channel_rule == ChannelRule::kOpaque; }),
            (std::set<OpKind>{OpKind::kReshape, OpKind::kSoftmax}));
  for (OpKind k : {OpKind::kBatchNorm, OpKind::kMaxPool, OpKind::kAvgPool, OpKind::kGlobalAvgPool, OpKind::kDropout,
                   OpKind::kPad}) {
    EXPECT_EQ(op_traits(k).channel_rule, ChannelRule::kPassThrough) << op_kind_name(k);
  }
  EXPECT_STREQ(channel_rule_name(ChannelRule::kConcat), "concat");
}

}  // namespace
}  // namespace gramlite::ir
