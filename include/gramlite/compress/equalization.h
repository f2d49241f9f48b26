// The two data-free fixes that rescue per-tensor MobileNets (Nagel et al., "Data-Free
// Quantization Through Weight Equalization and Bias Correction", 2019).
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

// Cross-layer equalization on a prepared float graph: for each pair of consecutive weight layers
// joined by a piecewise-linear activation (None / ReLU; ReLU6 after rescaling its bound), output
// channel i of the first is scaled by 1/s_i and input channel i of the second by s_i with
// s_i = sqrt(r1_i * r2_i) / r2_i, repeated until the ranges settle. The function is unchanged (up
// to float rounding). Returns the number of pairs equalized.
Result<int> equalize_cross_layer(ir::Graph& prepared);

// Bias correction: for each weight layer, the expected error its quantized weights add to its
// output (W_q - W) E[x] is subtracted from its bias, E[x] measured on `set` (empirical) per input
// channel. Returns the number of layers corrected.
Result<int> correct_bias(ir::Graph& prepared, const CalibrationSet& set, const Int8Options& options,
                         ThreadPool* pool);

}  // namespace gramlite::compress
