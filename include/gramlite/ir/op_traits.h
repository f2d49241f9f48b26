// One table of facts about each op kind (op_traits.cc, one row per OpKind, checked at compile
// time): arity, attribute kind, fused activations, aliasing, which inputs are parameters, and how
// channels flow through it. Code that needs a fact about an op reads it here instead of keeping
// its own list of kinds, so a new op kind is described in one row.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gramlite/ir/op_kind.h"

namespace gramlite::ir {

// How channels (dim 1, NCHW; the features of a [N, F] tensor) relate between a node's inputs and
// its output: what structured pruning needs to know to remove a channel consistently.
// channel_mapping() (channel_mapping.h) gives the concrete numbers for a node with known shapes.
enum class ChannelRule : uint8_t {
  kPassThrough,  // output channel c is input 0's channel c (elementwise unary, pools, BN, dropout, pad)
  kCoupled,      // all inputs' channels are tied to the output's; a size-1 channel dim broadcasts (Add, Mul)
  kConcat,       // along axis 1 the output's channels are the inputs' channels at running offsets
  kConvolution,  // input channels = weight dim 1 * groups, output channels = weight dim 0; depthwise:
                 // input channel c feeds output channels [c*m, (c+1)*m) (m = multiplier, usually 1)
  kLinear,       // input features = weight dim 1, output features = weight dim 0
  kFlatten,      // input channel c becomes a block of H*W consecutive output features
  kOpaque,       // no usable relation (Reshape; Softmax, which mixes the channels it normalises)
};
const char* channel_rule_name(ChannelRule rule);

struct OpTraits {
  static constexpr size_t kVariadic = SIZE_MAX;
  static constexpr size_t kNoConstantInputs = SIZE_MAX;

  OpKind kind;
  const char* name;  // as in model dumps and `gramlite info`; op_kind_from_name() reads it back
  size_t min_inputs;
  size_t max_inputs;            // kVariadic: any number >= min_inputs
  size_t first_constant_input;  // inputs at or after it must be constants (weights); kNoConstantInputs
  size_t attributes_index;      // the ir::Attributes alternative a node of this kind holds
  bool can_fuse_activation;     // may carry Node::fused_activation
  Activation computes;          // the activation this op is, if it is one (kNone otherwise)
  bool output_aliases_input;    // a view: the output is input 0's memory, unchanged (Flatten, Reshape, Dropout)
  uint8_t trainable_inputs;     // bit i: constant input i is a trainable parameter (weight, bias, BN gamma/beta)
  uint8_t buffer_inputs;        // bit i: constant input i is a non-trainable buffer (BN running statistics)
  ChannelRule channel_rule;
};

// The row for `kind`; an out-of-range kind (a corrupt file) gets a row named "Invalid" with no
// inputs allowed, so callers need no special case before validation rejects it.
const OpTraits& op_traits(OpKind kind);

// Whether constant input `input_index` of a node of `kind` is a trainable parameter. Constants that
// are neither trainable nor buffers (a scalar an importer added to an Add) are fixed.
bool is_trainable_input(OpKind kind, size_t input_index);
// Whether constant input `input_index` of a node of `kind` is a non-trainable buffer.
bool is_buffer_input(OpKind kind, size_t input_index);

}  // namespace gramlite::ir
