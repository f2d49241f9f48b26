// The concrete channel mapping of one node, from its op's channel rule (op_traits.h) and the
// node's shapes: which output channels each input channel reaches. Structured pruning walks these
// links to group the channels that must be removed together.
#pragma once

#include <cstdint>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/node.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/tensor.h"

namespace gramlite::ir {

enum class ChannelLink : uint8_t {
  // Input channel c is output channels [offset + c*block, offset + (c+1)*block): pass-through
  // (block 1, offset 0), concat (offset), depthwise convolution (block = channel multiplier),
  // flatten (block = H*W), pad on the channel dim (offset = padding before).
  kMapped,
  kBroadcast,   // one input channel (size 1, or no channel dim) serves every output channel
  kContracted,  // every input channel feeds every output channel (dense or grouped conv, linear)
  kPerOutput,   // a parameter whose dim 0 is indexed by output channel (weight, bias, BN parameters)
  kOpaque,      // no relation that pruning can follow (reshape, softmax over channels)
};
const char* channel_link_name(ChannelLink link);

struct InputChannels {
  ChannelLink link = ChannelLink::kOpaque;
  int64_t channels = 0;  // this input's size along its channel dim (dim 0 for kPerOutput)
  int64_t offset = 0;    // kMapped: the first output channel this input reaches
  int64_t block = 1;     // kMapped: output channels per input channel
};

struct ChannelMapping {
  ChannelRule rule = ChannelRule::kOpaque;
  int64_t output_channels = 0;       // dim 1 of the output (features of a [N, F] output)
  std::vector<InputChannels> inputs;  // one per node input
};

// `input_shapes` are the node's inputs' shapes in order and `output_shape` its output's, as shape
// inference computes them (all known except a dynamic dim 0). Errors: shapes that do not match
// the node (wrong count, rank below 2 where the rule needs a channel dim).
Result<ChannelMapping> channel_mapping(const Node& node, const std::vector<Shape>& input_shapes,
                                       const Shape& output_shape);

}  // namespace gramlite::ir
