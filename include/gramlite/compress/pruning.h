// Unstructured magnitude pruning: TF-MOT's schedules, the magnitude masks, which weights are
// pruned and how a target sparsity is shared among them. Pure IR: the training side
// (train/pruning.h) applies the masks during fine-tuning; docs/pruning.md is the user's guide.
//
//   compress::PruningSchedule schedule;            // polynomial decay 0 -> 0.9
//   schedule.final_sparsity = 0.9;
//   schedule.end_step = 2000;
//   if (compress::should_update_mask(schedule, step)) {
//     double s = compress::sparsity_at(schedule, step);
//     std::vector<uint8_t> keep = compress::magnitude_mask(weights, shape, s, {1, 1});
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

// TF-MOT's ConstantSparsity and PolynomialDecay (tensorflow_model_optimization, sparsity/keras/
// pruning_schedule.py), step for step, with one deliberate difference: the mask is also updated
// at end_step itself, so the final sparsity is always reached even when (end_step - begin_step)
// is not a multiple of the frequency (TF-MOT #684 stops short there).
enum class PruningScheduleKind : uint8_t { kConstant, kPolynomial };
const char* pruning_schedule_name(PruningScheduleKind kind);  // "constant", "polynomial"
std::optional<PruningScheduleKind> parse_pruning_schedule(const std::string& name);

struct PruningSchedule {
  PruningScheduleKind kind = PruningScheduleKind::kPolynomial;
  double initial_sparsity = 0.0;  // polynomial only: the sparsity at begin_step
  double final_sparsity = 0.5;    // constant: the target at every update; polynomial: at end_step
  int64_t begin_step = 0;
  int64_t end_step = -1;          // -1: no end (constant only; polynomial needs end_step > begin_step)
  int64_t frequency = 100;        // steps between mask updates
  double power = 3.0;             // polynomial exponent
};

// Errors name the field: sparsities outside [0, 1), initial > final, begin < 0, a polynomial
// without end, end < begin, frequency < 1, power <= 0.
Status validate_schedule(const PruningSchedule& schedule);

// Whether the mask is updated at `step` (the number of optimizer steps taken before this one,
// from 0): begin <= step <= end (or no end) and (step - begin) % frequency == 0; also at step ==
// end_step (the one difference from TF-MOT, above).
bool should_update_mask(const PruningSchedule& schedule, int64_t step);

// The sparsity the schedule asks for at `step`. Constant: final_sparsity. Polynomial, as TF-MOT:
// p = clamp((step - begin) / (end - begin), 0, 1), (initial - final) * (1 - p)^power + final.
double sparsity_at(const PruningSchedule& schedule, int64_t step);

// The last step at which should_update_mask is true (end_step, or -1 when there is no end): after
// it the masks never change, so a model from then on has its final sparsity.
int64_t last_update_step(const PruningSchedule& schedule);

// Blocks of rows x cols over a weight seen as a matrix [output channels, everything else]
// (OIHW -> [O, I*kh*kw], Linear [out, in] as it is). 1x1: element by element. 1x4 keeps or
// removes 4 consecutive inputs of one output together (the int8 block-sparse kernels' unit).
struct PruningBlock {
  int rows = 1;
  int cols = 1;
  bool operator==(const PruningBlock& o) const { return rows == o.rows && cols == o.cols; }
  int64_t size() const { return static_cast<int64_t>(rows) * cols; }
};
// "RxC" (e.g. "1x4"), both in [1, 64]; nullopt otherwise.
std::optional<PruningBlock> parse_pruning_block(const std::string& text);
std::string pruning_block_name(const PruningBlock& block);

// TF-MOT's mask: blocks scored by the mean |w| over their elements (partial blocks at the edges
// over the elements they have: TF-MOT's 'SAME' average pooling); keep
// k = max(round(blocks * (1 - sparsity)), 1) blocks (the product in float32 and rounded half to
// even, as tf.round); a block is kept when its score is at least the k-th largest score (ties
// keep more, as TF-MOT's greater_equal). Returns 1 (keep) / 0 per element of `weights`.
// `shape` has rank >= 1; its element count equals weights.size().
std::vector<uint8_t> magnitude_mask(const std::vector<float>& weights, const ir::Shape& shape, double sparsity,
                                    const PruningBlock& block);

// Records in `weight`'s sparsity what pruning aimed at: the target and, for blocks larger than 1x1,
// the block shape (what the runtime's block-sparse kernels and `gramlite info` read).
void record_pruning_target(ir::Tensor& weight, double sparsity, const PruningBlock& block);

// One-shot magnitude pruning of one float32 constant weight, without fine-tuning: zeros (+0.0) what
// magnitude_mask removes and records the target. Returns the number of elements zeroed; other
// dtypes are left alone (0).
int64_t prune_weight_once(ir::Tensor& weight, double sparsity, const PruningBlock& block);

// The block scores the mask ranks (one per block, row-major over the block grid), and the mask
// from a threshold on them: what global allocation pools across layers.
std::vector<float> block_scores(const std::vector<float>& weights, const ir::Shape& shape, const PruningBlock& block);
std::vector<uint8_t> expand_block_mask(const std::vector<float>& scores, float threshold, const ir::Shape& shape,
                                       const PruningBlock& block);
// How many of `count` blocks TF-MOT keeps at `sparsity`: max(round(count * (1 - sparsity)), 1).
int64_t blocks_to_keep(int64_t count, double sparsity);

// Which weights are pruned. By default every Conv2d and Linear weight except the network's first
// convolution (it sees the raw image and holds few weights) and depthwise convolutions (9 weights
// per channel: removing them costs accuracy and saves little), as the published MobileNet recipes
// do; both can be included. Biases, batch-norm parameters and every other constant are never pruned.
struct PrunableOptions {
  bool include_first_convolution = false;
  bool include_depthwise = false;
  std::vector<std::string> skip;  // node names (or tensor names) left dense
};

struct PrunableWeight {
  std::string node;    // the Conv2d / Linear node
  std::string tensor;  // its weight
  ir::Shape shape;
  int64_t elements = 0;
  int64_t macs = 0;  // at batch 1, from ir::node_costs
};

// In node order. Errors: a name in `skip` that is no Conv2d / Linear node or weight, no weight
// left to prune, an invalid graph.
Result<std::vector<PrunableWeight>> find_prunable_weights(const ir::Graph& graph, const PrunableOptions& options);

// How the sparsity target is shared among the prunable weights.
enum class SparsityAllocation : uint8_t {
  kUniform,      // every layer to the target
  kGlobal,       // one magnitude threshold over all of them (big, redundant layers take more)
  kSensitivity,  // per-layer targets from a probe of each layer's loss on validation data
};
const char* sparsity_allocation_name(SparsityAllocation allocation);  // "uniform", "global", "sensitivity"
std::optional<SparsityAllocation> parse_sparsity_allocation(const std::string& name);

// Global allocation's masks: one threshold over every layer's block scores at `sparsity`
// (k = blocks_to_keep(total blocks, sparsity) kept over all layers), each layer keeping at least
// its highest-scoring block. `weights[i]` belongs to layers[i].
std::vector<std::vector<uint8_t>> global_magnitude_masks(const std::vector<PrunableWeight>& layers,
                                                         const std::vector<const std::vector<float>*>& weights,
                                                         double sparsity, const PruningBlock& block);

// One layer's probe: the validation loss with only that layer pruned to each probed sparsity.
struct LayerSensitivity {
  std::string tensor;
  int64_t elements = 0;
  std::vector<double> sparsities;  // increasing
  std::vector<double> losses;      // one per sparsity
};

// The probed sparsities (0.5, 0.7, 0.8, 0.9, 0.95, 0.98).
std::vector<double> sensitivity_probe_levels();

// Per-layer final sparsities whose element-weighted mean is `target`: each layer takes the
// largest sparsity whose loss increase over `base_loss` stays within one common tolerance, the
// tolerance found by bisection (linear between probed levels, never above the highest probed
// level, curves made non-decreasing first). When even the highest levels fall short of the
// target, every layer gets its highest level. Order as `probes`.
std::vector<double> allocate_by_sensitivity(const std::vector<LayerSensitivity>& probes, double base_loss,
                                            double target);

// The fraction of zero elements of a constant weight (as ir::count_zero_weights counts them), and
// of all-zero blocks.
double zero_fraction(const ir::Tensor& tensor);
double zero_block_fraction(const ir::Tensor& tensor, const PruningBlock& block);

}  // namespace gramlite::compress
