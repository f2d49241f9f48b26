// Structured channel pruning over dependency groups: remove whole channels from a float32 graph
// and return a smaller dense graph that runs faster on every backend.
//
//   GRAMLITE_ASSIGN_OR_RETURN(ChannelGroups groups, find_channel_groups(graph));        // 1. couple
//   GRAMLITE_ASSIGN_OR_RETURN(auto scores, score_channel_groups(graph, groups, l1_importance()));  // 2. rank
//   ChannelPruningOptions options;  // remove 50 % of the MACs, kept counts multiples of 8
//   GRAMLITE_ASSIGN_OR_RETURN(ChannelPruningPlan plan, plan_channel_pruning(graph, groups, scores, options));
//   GRAMLITE_ASSIGN_OR_RETURN(PrunedGraph pruned, apply_channel_pruning(graph, groups, plan));  // 3. check, cut
//   // or all three in one: prune_channels(graph, l1_importance(), options)
//
// 1. Dependency groups (as DepGraph, Fang et al., CVPR 2023). A "channel space" is one dim of one
//    tensor whose indices are channels: dim 1 of an activation (the features of an [N, F] one), dim 0
//    of a per-output parameter (a Conv2d / Linear weight's filters, its bias, a BatchNorm's
//    parameters and statistics), dim 1 of a consumer's weight (a dense Conv2d's input channels, a
//    Linear's columns). The op-traits channel rules (ir/channel_mapping.h) link channel c of one
//    space to channels of another: pass-through ops, residual Add and squeeze-excitation Mul (every
//    non-broadcast input), Concat (input k's channels are a slice of the output's), depthwise
//    convolutions (input channel c feeds output channels [c*m, (c+1)*m)), Flatten (channel c becomes
//    H*W features). A group is a set of channels, one per "group channel" index, that must go
//    together; removing group channel i removes its indices in every member. Not prunable: a group
//    touching a graph input or output (the classifier's logits), an opaque node (Reshape, Softmax),
//    a grouped (non-depthwise) convolution, or a Pad on the channel dim.
// 2. Importance: a ChannelImportance gives one raw score per group channel; score_channel_groups
//    divides each group's scores by the group's mean score, so that groups of different sizes and
//    weight scales compare on one global ranking (Torch-Pruning's "mean" normaliser).
// 3. The plan removes the globally least important channels, a chunk at a time (so every kept count
//    stays a multiple of `round_to`), until the MACs (or parameters) fall to the target. The cut
//    checks the groups and the plan against the graph first, slices a copy, runs shape inference and
//    ir::validate on it, and checks that its MACs and parameters are what the plan predicted.
//
// Float32 graphs only: int8 graphs (quantized, per-channel scales) and fp16 / sparse-encoded
// weights are declined with kUnsupported ("prune before quantizing"). Errors name the node or
// tensor at fault.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

// What a member's channel space is.
enum class ChannelMemberRole : uint8_t {
  kActivation,       // dim 1 of a value tensor (graph input or node output)
  kOutputParameter,  // dim 0 of a constant indexed by output channel: weight filters, bias, BN gamma/beta/mean/var
  kInputParameter,   // dim 1 of a dense Conv2d's or a Linear's weight: the channels it contracts over
  kConstant,         // the channel dim of another constant an Add / Mul / Concat reads channel by channel
};
const char* channel_member_role_name(ChannelMemberRole role);

struct ChannelMember {
  ir::TensorId tensor = ir::kNoTensor;
  std::string name;  // the tensor's name
  int dim = 1;       // which dim of the tensor holds the channels
  int64_t size = 0;  // the tensor's size along `dim`
  ChannelMemberRole role = ChannelMemberRole::kActivation;
  // Activations: the producing node (-1 for a graph input). Constants: a node reading the tensor and
  // which of its inputs it is (for a parameter, input 1 of a Conv2d / Linear is its weight).
  int node = -1;
  int input_index = -1;
  // Indices of this member per group channel: 1 mostly; m after a depthwise convolution with
  // channel multiplier m; H*W for the features a Flatten made of one channel.
  int64_t per_channel = 1;
  // channels * per_channel indices along `dim`: group channel c owns
  // indices[c * per_channel, (c + 1) * per_channel), ascending.
  std::vector<int64_t> indices;
};

struct ChannelGroup {
  std::string name;      // a label: the first Conv2d / Linear producing the channels, else the first member
  int64_t channels = 0;  // group channels
  std::vector<ChannelMember> members;  // in the order the graph's nodes first reach them
  bool prunable = false;
  std::string reason;  // why not, when !prunable ("touches graph output 'logits'")
  // What one group channel costs at batch 1 with every other group whole: the MACs and the
  // parameters (every constant element, BN statistics included) its removal saves.
  int64_t macs_per_channel = 0;
  int64_t parameters_per_channel = 0;
};

struct ChannelGroups {
  std::vector<ChannelGroup> groups;  // in the order the graph's nodes first reach them
};

// The dependency groups of `graph` (validated first). Every channel of every activation with a
// channel dim is in exactly one group. Errors: an invalid graph (ir::validate's message), a graph
// that is not float32 (kUnsupported: "prune before quantizing").
Result<ChannelGroups> find_channel_groups(const ir::Graph& graph);

// The groups as an aligned text table, one line per group: name, channels, members, MACs and
// parameters per channel, and "prunable" or why not (what `gramlite prune` can print to explain a plan).
std::string channel_groups_table(const ChannelGroups& groups);

// Checks that `groups` still describe `graph` (the "check" of check-then-prune): every member's
// tensor exists with its name, its dim has `size` entries, its indices are in range, and no index
// of a space belongs to two group channels. apply_channel_pruning runs it; callers that keep groups
// across edits can run it too.
Status check_channel_groups(const ir::Graph& graph, const ChannelGroups& groups);

// --- Importance ------------------------------------------------------------------------------

// Raw importance of each channel of `group` (group.channels values, larger = more important), or
// an empty vector: no opinion, the group stays whole (e.g. batch_norm_importance on a group
// without a BatchNorm). Called only for prunable groups. Non-finite or negative values are errors.
using ChannelImportance = std::function<Result<std::vector<double>>(const ir::Graph&, const ChannelGroup&)>;

// L1 / L2 filter norm: for each Conv2d / Linear whose filters (weight dim 0) are in the group,
// the L1 or L2 norm of the channel's filter(s), summed over those layers (Li et al., "Pruning
// Filters for Efficient ConvNets", ICLR 2017). Depthwise layers' filters count too.
ChannelImportance l1_importance();
ChannelImportance l2_importance();
// Batch-norm scale: |gamma| summed over the group's BatchNorms (Liu et al., "Network Slimming",
// ICCV 2017). No BatchNorm in a group: no opinion.
ChannelImportance batch_norm_importance();

// First-order Taylor importance (Molchanov et al., "Importance Estimation for Neural Network
// Pruning", CVPR 2019): the caller accumulates, for every trainable parameter tensor (by tensor
// name), sum over batches of w * dL/dw, elementwise, as a vector of the tensor's element count.
// The importance of a group channel is the sum of those values over every trainable parameter
// element the channel owns (its filters, biases, BN gamma and beta, and the next layers' weight
// columns reading it), then squared (Molchanov's group contribution, the default) or its
// absolute value. A trainable tensor of a group missing from the map, or of the wrong size, is an
// error naming it.
using TaylorScores = std::unordered_map<std::string, std::vector<float>>;
enum class TaylorReduction : uint8_t { kSquared, kAbsolute };
ChannelImportance taylor_importance(std::shared_ptr<const TaylorScores> scores,
                                    TaylorReduction reduction = TaylorReduction::kSquared);

// By name, as the CLI's --criterion takes it: "l1", "l2", "bn", "taylor" (which needs `taylor`).
Result<ChannelImportance> channel_importance(std::string_view name,
                                             std::shared_ptr<const TaylorScores> taylor = nullptr);

// One vector per group: for a prunable group the criterion's scores divided by their mean (all
// zeros stay zero), empty for a group that is not prunable or on which the criterion has no opinion.
using GroupScores = std::vector<std::vector<double>>;
Result<GroupScores> score_channel_groups(const ir::Graph& graph, const ChannelGroups& groups,
                                         const ChannelImportance& importance);

// --- Plan ------------------------------------------------------------------------------------

// What the ratio is a fraction of. kLatency: the time of the graph's nodes as the caller measured
// them (options.node_latency), each node's variable part scaled by the kept fraction of its output
// and contracted input channels, as its MACs are: an affine model per layer, standing in for HALP's
// latency lookup table (Shen et al., NeurIPS 2022). It is what makes a small input faster: there
// per-call costs and the late, narrow-spatial layers take more of the time than of the MACs.
enum class PruningTarget : uint8_t { kMacs, kParameters, kLatency };
const char* pruning_target_name(PruningTarget target);  // "macs", "parameters", "latency"
std::optional<PruningTarget> parse_pruning_target(std::string_view name);

struct ChannelPruningOptions {
  // Fraction of the MACs (or parameters) to remove, in [0, 1): 0.5 halves the MACs. Relative to
  // `reference` when it is > 0 (iterative pruning passes the original model's figure, so step k of
  // K can aim at ratio * k / K of the original: iterative_ratio()), else to this graph's.
  double ratio = 0.5;
  PruningTarget target = PruningTarget::kMacs;
  double reference = 0;
  // kLatency: each node's time with every channel kept (graph.nodes order, any unit, >= 0), and
  // optionally the part of it that does not shrink with the channels (a kernel call's fixed cost:
  // empty = none; each <= the node's time). A node's time is fixed + (time - fixed) * f, with f
  // the kept fraction of its MACs.
  std::vector<double> node_latency;
  std::vector<double> node_fixed_latency;
  // Which chunk goes next: false, the least important (mean normalised score); true, the cheapest
  // per unit of the target it saves (the chunk's summed score over the MACs / parameters / time its
  // removal saves, as a fraction of the whole): HALP's greedy knapsack, which spends the budget
  // where it buys the most of the target.
  bool per_cost = false;
  // Kept channel counts are multiples of round_to (1: any count); a group whose count is not a
  // multiple first loses its remainder. What vector kernels want: 8 floats per AVX2 register.
  int64_t round_to = 8;
  // A group keeps at least min(min_channels, its count) channels, and never fewer than 1.
  int64_t min_channels = 8;
  // and at least (1 - max_group_fraction) of its channels.
  double max_group_fraction = 0.9;
};

// The channels to remove: removed[g] is a sorted list of group g's channel indices.
struct ChannelPruningPlan {
  std::vector<std::vector<int64_t>> removed;
  // The figures the plan predicts for the cut graph (batch 1); apply_channel_pruning checks them.
  int64_t macs_before = 0;
  int64_t macs_after = 0;
  int64_t parameters_before = 0;
  int64_t parameters_after = 0;
  double latency_before = 0;  // kLatency only: the linear model's figures, in node_latency's unit
  double latency_after = 0;
};

// Greedy global plan: repeatedly removes, from the group whose next chunk has the lowest mean
// normalised score (or, with per_cost, the lowest score per unit of the target saved), that chunk (its next least important channels, so many that the kept count
// becomes the next multiple of round_to below), until the target is met. Ties go to the earlier
// group. Errors: bad options, scores not matching the groups, a target that the limits
// (min_channels, max_group_fraction, unprunable groups) make unreachable (naming the most it can
// remove).
Result<ChannelPruningPlan> plan_channel_pruning(const ir::Graph& graph, const ChannelGroups& groups,
                                                const GroupScores& scores, const ChannelPruningOptions& options);

// The cumulative ratio after step `step` (1..steps) of iterative pruning towards `final_ratio`:
// final_ratio * step / steps (linear in MACs removed). Pass it as options.ratio with
// options.reference set to the original model's MACs (or parameters).
double iterative_ratio(double final_ratio, int step, int steps);

// --- Cut -------------------------------------------------------------------------------------

struct GroupChange {
  std::string name;
  int64_t channels_before = 0;
  int64_t channels_after = 0;
};

struct ChannelPruningReport {
  std::vector<GroupChange> groups;  // every prunable group, in group order
  int64_t macs_before = 0;          // batch 1, ir::node_costs
  int64_t macs_after = 0;
  int64_t parameters_before = 0;    // every constant element (ir::count_parameters().total())
  int64_t parameters_after = 0;
};

struct PrunedGraph {
  ir::Graph graph;
  ChannelPruningReport report;
};

// Check, then prune: checks `groups` against `graph` (check_channel_groups) and `plan` against the
// groups (one list per group, indices in range and sorted, nothing removed from an unprunable
// group, at least one channel kept), slices a copy of every member (weights along dim 0 / 1, BN
// parameters and statistics, constants; depthwise convolutions get their new group count),
// re-infers the shapes, validates the copy and checks its channel counts, MACs and parameters
// against the plan. `graph` is never modified. Metadata is kept.
Result<PrunedGraph> apply_channel_pruning(const ir::Graph& graph, const ChannelGroups& groups,
                                          const ChannelPruningPlan& plan);

// find_channel_groups + score_channel_groups + plan_channel_pruning + apply_channel_pruning.
Result<PrunedGraph> prune_channels(const ir::Graph& graph, const ChannelImportance& importance,
                                   const ChannelPruningOptions& options);

// A copy of `graph` in which the plan's removed channels are zero without being removed: every
// trainable per-output parameter (filters, biases, BN gamma and beta) and constant member of those
// channels is set to 0. Where every activation in the group maps 0 to 0 (ReLU, ReLU6, hard-swish;
// not sigmoid) the removed channels then carry zeros, and the graph computes what
// apply_channel_pruning's graph does (the equivalence the tests check). Also a soft-pruning mask
// for fine-tuning between iterative steps.
Result<ir::Graph> zero_pruned_channels(const ir::Graph& graph, const ChannelGroups& groups,
                                       const ChannelPruningPlan& plan);

// The report as an aligned text table: one line per prunable group (name, channels before ->
// after), then MACs and parameters before -> after with the fraction removed.
std::string channel_pruning_table(const ChannelPruningReport& report);

}  // namespace gramlite::compress
