#include "gramlite/ir/channel_mapping.h"

namespace gramlite::ir {
namespace {

InputChannels mapped(int64_t channels, int64_t offset = 0, int64_t block = 1) {
  return {ChannelLink::kMapped, channels, offset, block};
}

InputChannels per_output(const Shape& parameter) {
  return {ChannelLink::kPerOutput, parameter.empty() ? 0 : parameter[0], 0, 1};
}

// Every input opaque: the mapping of a node pruning cannot look through.
ChannelMapping opaque(const std::vector<Shape>& in, int64_t output_channels) {
  ChannelMapping m;
  m.rule = ChannelRule::kOpaque;
  m.output_channels = output_channels;
  for (const Shape& s : in) m.inputs.push_back({ChannelLink::kOpaque, s.size() >= 2 ? s[1] : 0, 0, 1});
  return m;
}

int normalize_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return -1;
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

// Add / Mul: numpy broadcasting aligns trailing dims, so an input of lower rank may lack dim 1.
InputChannels coupled(const Shape& in, size_t output_rank, int64_t output_channels) {
  const auto channel_dim = static_cast<int64_t>(in.size()) - static_cast<int64_t>(output_rank) + 1;
  if (channel_dim < 0) return {ChannelLink::kBroadcast, 1, 0, 1};
  const int64_t channels = in[static_cast<size_t>(channel_dim)];
  if (channels == output_channels) return mapped(channels);
  return {ChannelLink::kBroadcast, channels, 0, 1};
}

}  // namespace

const char* channel_link_name(ChannelLink link) {
  switch (link) {
    case ChannelLink::kMapped: return "mapped";
    case ChannelLink::kBroadcast: return "broadcast";
    case ChannelLink::kContracted: return "contracted";
    case ChannelLink::kPerOutput: return "per-output";
    case ChannelLink::kOpaque: return "opaque";
  }
  return "invalid";
}

Result<ChannelMapping> channel_mapping(const Node& node, const std::vector<Shape>& in, const Shape& out) {
  if (in.size() != node.inputs.size() || in.empty()) {
    return invalid_argument("node '", node.name, "' (", op_kind_name(node.kind), "): ", in.size(),
                            " input shapes given for ", node.inputs.size(), " inputs");
  }
  // A node whose output has no channel dim (rank < 2) gives pruning nothing to follow.
  if (out.size() < 2) return opaque(in, 0);
  const int64_t out_channels = out[1];
  const OpTraits& traits = op_traits(node.kind);
  ChannelMapping m;
  m.rule = traits.channel_rule;
  m.output_channels = out_channels;
  switch (traits.channel_rule) {
    case ChannelRule::kPassThrough: {
      if (in[0].size() != out.size()) return opaque(in, out_channels);
      int64_t offset = 0;
      if (node.kind == OpKind::kPad) {  // channels padded in front shift the mapping
        const auto& pads = node.attr<PadAttrs>().pads;
        if (pads.size() != 2 * out.size()) return opaque(in, out_channels);
        offset = pads[1];
      }
      m.inputs.push_back(mapped(in[0][1], offset));
      for (size_t i = 1; i < in.size(); ++i) m.inputs.push_back(per_output(in[i]));  // BN parameters
      return m;
    }
    case ChannelRule::kCoupled:
      for (const Shape& s : in) m.inputs.push_back(coupled(s, out.size(), out_channels));
      return m;
    case ChannelRule::kConcat: {
      const int axis = normalize_axis(node.attr<ConcatAttrs>().axis, out.size());
      int64_t offset = 0;
      for (const Shape& s : in) {
        if (s.size() != out.size()) return opaque(in, out_channels);
        // Along axis 1 each input takes the next channels; along another axis all share them.
        m.inputs.push_back(mapped(s[1], axis == 1 ? offset : 0));
        offset += s[1];
      }
      return m;
    }
    case ChannelRule::kConvolution: {
      if (in[0].size() != 4 || in[1].size() != 4) return opaque(in, out_channels);
      const int64_t groups = node.attr<Conv2dAttrs>().groups;
      const int64_t in_channels = in[0][1];
      const bool depthwise = groups > 1 && groups == in_channels && in[1][1] == 1;
      m.inputs.push_back(depthwise ? mapped(in_channels, 0, in[1][0] / groups)
                                   : InputChannels{ChannelLink::kContracted, in_channels, 0, 1});
      for (size_t i = 1; i < in.size(); ++i) m.inputs.push_back(per_output(in[i]));
      return m;
    }
    case ChannelRule::kLinear: {
      if (in[0].size() != 2) return opaque(in, out_channels);  // features are dim 1 only for [N, F]
      m.inputs.push_back({ChannelLink::kContracted, in[0][1], 0, 1});
      for (size_t i = 1; i < in.size(); ++i) m.inputs.push_back(per_output(in[i]));
      return m;
    }
    case ChannelRule::kFlatten: {
      const int64_t axis = node.attr<FlattenAttrs>().axis;
      if (in[0].size() < 2 || !(axis == 1 || axis == 1 - static_cast<int64_t>(in[0].size()))) {
        return opaque(in, out_channels);  // channels do not end up in dim 1
      }
      int64_t block = 1;
      for (size_t d = 2; d < in[0].size(); ++d) block *= in[0][d];
      m.inputs.push_back(mapped(in[0][1], 0, block));
      return m;
    }
    case ChannelRule::kOpaque:
      return opaque(in, out_channels);
  }
  return invalid_argument("node '", node.name, "': invalid channel rule");
}

}  // namespace gramlite::ir
