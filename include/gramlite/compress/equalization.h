// The two data-free fixes that rescue per-tensor MobileNets (Nagel et al., "Data-Free
// Quantization Through Weight Equalization and Bias Correction", 2019). Both work on a prepared
// float graph (prepare_for_quantization / ir::optimize_for_inference: batch norm folded,
// activations fused) before calibration and convert_to_int8, and leave a float graph.
//
//   compress::equalize_cross_layer(prepared);                      // weights only, data-free
//   compress::correct_bias(prepared, calibration_set, int8_options, pool);
//   ... calibrate(prepared, ...), convert_to_int8(prepared, ranges, int8_options)
#pragma once

#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

// What equalization does with a pair whose first layer ends in ReLU6. Scaling channel i of the
// first layer by 1/s_i would need the clamp at 6 / s_i, which a fused ReLU6 cannot express.
enum class Relu6Policy {
  // The paper's choice: the ReLU6 of an equalized pair becomes a ReLU. The float function changes
  // only where that layer's output exceeded 6 (docs/quantization.md, "Equalization and bias
  // correction"); without it MobileNets (ReLU6 throughout) would have almost nothing to equalize.
  kReplaceWithRelu,
  // Pairs joined by ReLU6 are left alone: the function is exactly unchanged.
  kSkip,
};

struct EqualizationOptions {
  Relu6Policy relu6 = Relu6Policy::kReplaceWithRelu;
  // Chains of more than two layers (pointwise -> depthwise -> pointwise, ResNet's bottlenecks)
  // are equalized pair by pair in sweeps until no scale of a sweep differs from 1 by more than
  // `tolerance`, or after `max_sweeps`.
  double tolerance = 1e-3;
  int max_sweeps = 100;
};

struct EqualizationResult {
  int pairs = 0;            // pairs of layers equalized
  int sweeps = 0;           // sweeps made until the scales settled
  int relu6_replaced = 0;   // fused ReLU6 turned into ReLU (Relu6Policy::kReplaceWithRelu)
  double last_change = 0;   // the largest |s_i - 1| of the last sweep
};

// Cross-layer equalization on a prepared float graph: for each pair of weight layers (Conv2d ->
// Conv2d, including depthwise and grouped ones, or Linear -> Linear) where the first one's output
// is read by the second alone and the first's fused activation is None or ReLU (ReLU6: see
// Relu6Policy), output channel i of the first is scaled by 1/s_i (weights and bias) and input
// channel i of the second by s_i, with s_i = sqrt(r1_i * r2_i) / r2_i, r1_i the largest |w| of
// output channel i of the first and r2_i that of the weights reading input channel i in the
// second. Afterwards both ranges are sqrt(r1_i * r2_i). ReLU(x / s) = ReLU(x) / s for s > 0, so
// the function is unchanged up to float rounding (and the ReLU6 policy).
Result<EqualizationResult> equalize_cross_layer(ir::Graph& prepared, const EqualizationOptions& options);
// The same with default options; returns the number of pairs equalized.
Result<int> equalize_cross_layer(ir::Graph& prepared);

// Bias correction: for each Conv2d / Linear, the mean error its quantized weights add to its
// output over `set`, sum over the filter of (W_q - W)[c, i, k] * E[x_i at tap k], is subtracted
// from bias c. W_q is the weight quantized and dequantized as convert_to_int8 will (per channel or
// per tensor, options.weight_bits); E[x_i at tap k] is the mean of what tap k reads of input
// channel i, over the images and output positions of the float graph (a padded position reads 0).
// That is the paper's empirical correction with the per-tap mean in place of its per-channel
// E[x_i] (the same away from borders), so that on `set` the corrected layer's mean output per
// channel equals the float layer's exactly. Each layer is corrected for its own error (its input
// is the float graph's). A layer without a bias gets one (named "<layer>.bias") unless its
// correction is all zero; layers in options.keep_float are left alone. `pool` runs the float
// session (nullptr: the caller's thread). Returns the number of layers corrected.
Result<int> correct_bias(ir::Graph& prepared, const CalibrationSet& set, const Int8Options& options,
                         ThreadPool* pool);

// The float graph with every Conv2d / Linear weight quantized and dequantized as convert_to_int8
// will (activations stay float): the weight-only error, what bias correction corrects and what
// equalization reduces. Layers in options.keep_float keep their weights.
Result<ir::Graph> fake_quantize_weights(const ir::Graph& prepared, const Int8Options& options);

}  // namespace gramlite::compress
