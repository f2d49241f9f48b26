// Dependency groups: a union-find over individual channels. Every channel space (one dim of one
// tensor, channel_pruning.h) contributes one element per index; the op-traits channel mapping of
// each node unites the elements it couples. A connected component is one channel that must go as
// a whole; components touching the same spaces the same number of times are parallel channels of
// one group (the 64 output channels of a convolution and everything they reach).
#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "compress/prune/channel_cost_model.h"
#include "gramlite/compress/channel_pruning.h"
#include "gramlite/ir/channel_mapping.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::compress {
namespace {

using ir::TensorId;

struct Space {
  TensorId tensor = ir::kNoTensor;
  int dim = 1;
  int64_t size = 0;
  int64_t first = 0;  // its first element in the union-find
  ChannelMemberRole role = ChannelMemberRole::kActivation;
  int node = -1;
  int input_index = -1;
  std::string unprunable;  // why its channels cannot be removed; empty: nothing against it
};

class GroupFinder {
 public:
  GroupFinder(const ir::Graph& graph, std::vector<ir::Shape> shapes)
      : graph_(graph), shapes_(std::move(shapes)), producers_(graph.producers()) {}

  Status link_all() {
    for (size_t n = 0; n < graph_.nodes.size(); ++n) GRAMLITE_RETURN_IF_ERROR(link_node(n));
    for (const TensorId id : graph_.inputs) {
      if (shape(id).size() >= 2) mark(activation(id), str_cat("touches graph input '", graph_.tensor(id).name, "'"));
    }
    for (const TensorId id : graph_.outputs) {
      if (shape(id).size() >= 2) mark(activation(id), str_cat("touches graph output '", graph_.tensor(id).name, "'"));
    }
    return Status::Ok();
  }

  std::vector<ChannelGroup> groups();

 private:
  const ir::Shape& shape(TensorId id) const { return shapes_[static_cast<size_t>(id)]; }

  int space(TensorId tensor, int dim, ChannelMemberRole role, int node, int input_index) {
    const auto [it, inserted] = index_.emplace(std::make_pair(tensor, dim), static_cast<int>(spaces_.size()));
    if (!inserted) return it->second;
    Space s;
    s.tensor = tensor;
    s.dim = dim;
    s.size = shape(tensor)[static_cast<size_t>(dim)];
    s.first = static_cast<int64_t>(parent_.size());
    s.role = role;
    s.node = node;
    s.input_index = input_index;
    for (int64_t i = 0; i < s.size; ++i) parent_.push_back(s.first + i);
    spaces_.push_back(std::move(s));
    return it->second;
  }
  int activation(TensorId id) {
    return space(id, 1, ChannelMemberRole::kActivation, producers_[static_cast<size_t>(id)], -1);
  }
  int64_t element(int s, int64_t index) const { return spaces_[static_cast<size_t>(s)].first + index; }

  int64_t find(int64_t e) {
    while (parent_[static_cast<size_t>(e)] != e) {
      parent_[static_cast<size_t>(e)] = parent_[static_cast<size_t>(parent_[static_cast<size_t>(e)])];
      e = parent_[static_cast<size_t>(e)];
    }
    return e;
  }
  void unite(int64_t a, int64_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }
  // Channel c of space a is channel c of space b, for every c (equal sizes checked by the caller).
  void unite_spaces(int a, int b) {
    for (int64_t c = 0; c < spaces_[static_cast<size_t>(a)].size; ++c) unite(element(a, c), element(b, c));
  }
  void mark(int s, const std::string& reason) {
    std::string& r = spaces_[static_cast<size_t>(s)].unprunable;
    if (r.empty()) r = reason;
  }
  // Nothing can be removed from the node's output or its activation inputs.
  void mark_node(const ir::Node& node, int output, const std::string& reason) {
    if (output >= 0) mark(output, reason);
    for (const TensorId id : node.inputs) {
      if (!graph_.tensor(id).is_constant() && shape(id).size() >= 2) mark(activation(id), reason);
    }
  }

  Status link_node(size_t n);

  const ir::Graph& graph_;
  std::vector<ir::Shape> shapes_;
  std::vector<int> producers_;
  std::vector<Space> spaces_;
  std::map<std::pair<TensorId, int>, int> index_;
  std::vector<int64_t> parent_;
};

Status GroupFinder::link_node(size_t n) {
  const ir::Node& node = graph_.nodes[n];
  const int node_index = static_cast<int>(n);
  std::vector<ir::Shape> in;
  for (const TensorId id : node.inputs) in.push_back(shape(id));
  const ir::Shape& out = shape(node.outputs[0]);
  GRAMLITE_ASSIGN_OR_RETURN(const ir::ChannelMapping mapping, ir::channel_mapping(node, in, out));
  const std::string what = str_cat("node '", node.name, "' (", ir::op_kind_name(node.kind), ")");
  if (out.size() < 2) {
    mark_node(node, -1, str_cat("reaches ", what, ", whose output has no channel dim"));
    return Status::Ok();
  }
  const int output = activation(node.outputs[0]);
  std::string blocked;  // why nothing flows through this node
  if (mapping.rule == ir::ChannelRule::kOpaque) {
    blocked = str_cat("passes through ", what, ", opaque to channels");
  } else if (node.kind == ir::OpKind::kPad) {
    const auto& pads = node.attr<ir::PadAttrs>().pads;
    if (pads.size() == 2 * out.size() && (pads[1] != 0 || pads[1 + out.size()] != 0)) {
      blocked = str_cat("passes through ", what, ", which pads the channel dim");
    }
  } else if (node.kind == ir::OpKind::kConv2d && node.attr<ir::Conv2dAttrs>().groups > 1 &&
             !ir::is_depthwise_convolution(graph_, node)) {
    blocked = str_cat("passes through ", what, ", a grouped convolution");
  }
  if (!blocked.empty()) {
    mark_node(node, output, blocked);
    // Its per-output parameters still belong with its output (the group's name, its costs).
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const TensorId id = node.inputs[i];
      if (mapping.inputs[i].link != ir::ChannelLink::kPerOutput || !graph_.tensor(id).is_constant() ||
          shape(id).empty() || shape(id)[0] != out[1]) {
        continue;
      }
      unite_spaces(space(id, 0, ChannelMemberRole::kOutputParameter, node_index, static_cast<int>(i)), output);
    }
    return Status::Ok();
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const ir::InputChannels& link = mapping.inputs[i];
    const TensorId id = node.inputs[i];
    const bool constant = graph_.tensor(id).is_constant();
    const auto input_index = static_cast<int>(i);
    switch (link.link) {
      case ir::ChannelLink::kMapped: {
        // Add / Mul align trailing dims: a lower-rank input has its channels further left.
        const int dim = mapping.rule == ir::ChannelRule::kCoupled
                            ? static_cast<int>(in[i].size()) - static_cast<int>(out.size()) + 1
                            : 1;
        if (!constant && dim != 1) {
          mark_node(node, output, str_cat(what, " broadcasts an activation of rank ", in[i].size()));
          return Status::Ok();
        }
        const int s = constant ? space(id, dim, ChannelMemberRole::kConstant, node_index, input_index) : activation(id);
        const int64_t channels = spaces_[static_cast<size_t>(s)].size;
        if (link.offset < 0 || link.block < 1 || link.offset + channels * link.block > out[1]) {
          return internal_error(what, ": input ", i, "'s channels map outside the output's ", out[1]);
        }
        for (int64_t c = 0; c < channels; ++c) {
          for (int64_t j = 0; j < link.block; ++j) {
            unite(element(s, c), element(output, link.offset + c * link.block + j));
          }
        }
        break;
      }
      case ir::ChannelLink::kPerOutput: {
        const int s = space(id, 0, ChannelMemberRole::kOutputParameter, node_index, input_index);
        if (!constant || spaces_[static_cast<size_t>(s)].size != out[1]) {
          mark(s, str_cat(what, ": input ", i, " does not have one entry per output channel"));
          mark_node(node, output, str_cat(what, ": input ", i, " does not have one entry per output channel"));
          break;
        }
        unite_spaces(s, output);
        break;
      }
      case ir::ChannelLink::kContracted: {
        // A dense Conv2d or a Linear: weight dim 1 reads input channel c.
        const TensorId weight = node.inputs[1];
        const ir::Shape& w = shape(weight);
        if (!constant && w.size() >= 2 && w[1] == in[i][1]) {
          const int input = activation(id);
          unite_spaces(input, space(weight, 1, ChannelMemberRole::kInputParameter, node_index, 1));
        } else {
          mark_node(node, output, str_cat(what, ": the weight does not read input ", i, "'s channels one by one"));
        }
        break;
      }
      case ir::ChannelLink::kBroadcast:
        break;  // one value for every output channel: nothing to remove
      case ir::ChannelLink::kOpaque:
        mark_node(node, output, str_cat("passes through ", what, ", opaque to channels"));
        break;
    }
  }
  return Status::Ok();
}

std::vector<ChannelGroup> GroupFinder::groups() {
  // Components in the order of their first element: space by space, index by index.
  struct Component {
    std::vector<std::pair<int, int64_t>> key;  // (space, elements there), by space
    std::string reason;
    int group = -1;
    int64_t channel = 0;
  };
  std::vector<Component> components;
  std::vector<int64_t> component_of(parent_.size(), -1);  // by root element
  std::vector<int64_t> component_at(parent_.size(), -1);  // by element
  for (size_t s = 0; s < spaces_.size(); ++s) {
    const Space& space = spaces_[s];
    for (int64_t c = 0; c < space.size; ++c) {
      const auto root = static_cast<size_t>(find(space.first + c));
      if (component_of[root] < 0) {
        component_of[root] = static_cast<int64_t>(components.size());
        components.emplace_back();
      }
      const int64_t k = component_of[root];
      component_at[static_cast<size_t>(space.first + c)] = k;
      Component& comp = components[static_cast<size_t>(k)];
      if (comp.key.empty() || comp.key.back().first != static_cast<int>(s)) comp.key.emplace_back(static_cast<int>(s), 0);
      ++comp.key.back().second;
      if (comp.reason.empty()) comp.reason = space.unprunable;
    }
  }

  std::vector<ChannelGroup> groups;
  std::map<std::vector<std::pair<int, int64_t>>, int> group_of_key;
  for (Component& comp : components) {
    const auto [it, inserted] = group_of_key.emplace(comp.key, static_cast<int>(groups.size()));
    if (inserted) {
      ChannelGroup g;
      g.prunable = true;
      for (const auto& [s, count] : comp.key) {
        const Space& space = spaces_[static_cast<size_t>(s)];
        ChannelMember m;
        m.tensor = space.tensor;
        m.name = graph_.tensor(space.tensor).name;
        m.dim = space.dim;
        m.size = space.size;
        m.role = space.role;
        m.node = space.node;
        m.input_index = space.input_index;
        m.per_channel = count;
        g.members.push_back(std::move(m));
      }
      groups.push_back(std::move(g));
    }
    comp.group = it->second;
    ChannelGroup& g = groups[static_cast<size_t>(comp.group)];
    comp.channel = g.channels++;
    if (!comp.reason.empty() && g.prunable) {
      g.prunable = false;
      g.reason = comp.reason;
    }
  }
  for (ChannelGroup& g : groups) {
    for (ChannelMember& m : g.members) m.indices.assign(static_cast<size_t>(g.channels * m.per_channel), -1);
  }
  // Each component's elements, space by space and ascending, fill its slot of each member.
  std::vector<int64_t> filled(components.size(), 0);
  std::vector<size_t> member_cursor(components.size(), 0);
  std::vector<int> last_space(components.size(), -1);
  for (size_t s = 0; s < spaces_.size(); ++s) {
    for (int64_t c = 0; c < spaces_[s].size; ++c) {
      const auto k = static_cast<size_t>(component_at[static_cast<size_t>(spaces_[s].first + c)]);
      const Component& comp = components[k];
      if (last_space[k] != static_cast<int>(s)) {
        if (last_space[k] >= 0) ++member_cursor[k];
        last_space[k] = static_cast<int>(s);
        filled[k] = 0;
      }
      ChannelMember& m = groups[static_cast<size_t>(comp.group)].members[member_cursor[k]];
      m.indices[static_cast<size_t>(comp.channel * m.per_channel + filled[k]++)] = c;
    }
  }
  for (ChannelGroup& g : groups) {
    for (const ChannelMember& m : g.members) {
      if (m.role == ChannelMemberRole::kOutputParameter && m.input_index == 1 && m.node >= 0 &&
          ir::is_weight_layer_kind(graph_.nodes[static_cast<size_t>(m.node)].kind)) {
        g.name = graph_.nodes[static_cast<size_t>(m.node)].name;
        break;
      }
    }
    for (const ChannelMember& m : g.members) {
      if (g.name.empty() && m.role == ChannelMemberRole::kActivation) g.name = m.name;
    }
    if (g.name.empty()) g.name = g.members.front().name;
  }
  return groups;
}

// Structured pruning slices float32 weights; everything else is declined before any work.
Status check_float32(const ir::Graph& graph) {
  for (const ir::Tensor& t : graph.tensors) {
    const char* hint = t.is_constant() ? "" : " (an activation)";
    if (t.dtype != ir::DType::kFloat32 || !t.quant.empty()) {
      return unsupported("structured channel pruning needs a float32 graph: tensor '", t.name, "'", hint, " is ",
                         t.quant.empty() ? ir::dtype_name(t.dtype) : "quantized", " (prune before quantizing)");
    }
    if (t.sparsity.encoding != ir::SparsityEncoding::kDense) {
      return unsupported("structured channel pruning needs dense weights: tensor '", t.name, "' is stored ",
                         ir::sparsity_encoding_name(t.sparsity.encoding));
    }
  }
  return Status::Ok();
}

}  // namespace

const char* channel_member_role_name(ChannelMemberRole role) {
  switch (role) {
    case ChannelMemberRole::kActivation: return "activation";
    case ChannelMemberRole::kOutputParameter: return "output parameter";
    case ChannelMemberRole::kInputParameter: return "input parameter";
    case ChannelMemberRole::kConstant: return "constant";
  }
  return "invalid";
}

Result<ChannelGroups> find_channel_groups(const ir::Graph& graph) {
  GRAMLITE_RETURN_IF_ERROR(check_float32(graph));  // reads only tensor fields: safe before validation
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("structured channel pruning"));
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::Shape> shapes, ir::infer_shapes_for_batch(graph, 1));
  GroupFinder finder(graph, std::move(shapes));
  GRAMLITE_RETURN_IF_ERROR(finder.link_all());
  ChannelGroups result;
  result.groups = finder.groups();

  GRAMLITE_ASSIGN_OR_RETURN(const detail::ChannelCostModel model, detail::ChannelCostModel::build(graph, result.groups));
  std::vector<int64_t> removed(result.groups.size(), 0);
  const int64_t macs = model.macs(removed);
  const int64_t parameters = model.parameters(removed);
  for (size_t g = 0; g < result.groups.size(); ++g) {
    removed[g] = 1;
    result.groups[g].macs_per_channel = macs - model.macs(removed);
    result.groups[g].parameters_per_channel = parameters - model.parameters(removed);
    removed[g] = 0;
  }
  return result;
}

std::string channel_groups_table(const ChannelGroups& groups) {
  size_t width = 5;
  for (const ChannelGroup& g : groups.groups) width = std::max(width, g.name.size());
  std::ostringstream out;
  out << "group" << std::string(width - 5, ' ') << "  channels  members  MACs/channel  params/channel  prunable\n";
  char numbers[96];
  for (const ChannelGroup& g : groups.groups) {
    std::snprintf(numbers, sizeof numbers, "  %8lld  %7zu  %12lld  %14lld  ", static_cast<long long>(g.channels),
                  g.members.size(), static_cast<long long>(g.macs_per_channel),
                  static_cast<long long>(g.parameters_per_channel));
    out << g.name << std::string(width - g.name.size(), ' ') << numbers << (g.prunable ? "yes" : "no: " + g.reason)
        << "\n";
  }
  return out.str();
}

Status check_channel_groups(const ir::Graph& graph, const ChannelGroups& groups) {
  std::map<std::pair<TensorId, int>, std::vector<bool>> taken;
  for (const ChannelGroup& g : groups.groups) {
    const std::string where = str_cat("channel group '", g.name, "'");
    if (g.channels < 0 || g.members.empty()) return invalid_argument(where, ": no channels or no members");
    for (const ChannelMember& m : g.members) {
      if (!graph.is_valid_tensor_id(m.tensor) || graph.tensor(m.tensor).name != m.name) {
        return invalid_argument(where, ": member '", m.name, "' is not tensor ", m.tensor, " of this graph");
      }
      const ir::Shape& shape = graph.tensor(m.tensor).shape;
      if (m.dim < 0 || static_cast<size_t>(m.dim) >= shape.size() || shape[static_cast<size_t>(m.dim)] != m.size) {
        return invalid_argument(where, ": tensor '", m.name, "' ", ir::shape_to_string(shape), " has no dim ", m.dim,
                                " of size ", m.size);
      }
      if (m.per_channel < 1 || m.indices.size() != static_cast<size_t>(g.channels * m.per_channel)) {
        return invalid_argument(where, ": tensor '", m.name, "' has ", m.indices.size(), " indices for ", g.channels,
                                " channels of ", m.per_channel);
      }
      std::vector<bool>& used = taken[{m.tensor, m.dim}];
      used.resize(static_cast<size_t>(m.size), false);
      for (const int64_t i : m.indices) {
        if (i < 0 || i >= m.size || used[static_cast<size_t>(i)]) {
          return invalid_argument(where, ": tensor '", m.name, "' index ", i, " is out of range or in two channels");
        }
        used[static_cast<size_t>(i)] = true;
      }
    }
  }
  return Status::Ok();
}

}  // namespace gramlite::compress
