// Per-layer quantization error: each int8 activation, dequantized, against the float activation
// of the same name on the calibration images. What `gramlite quantize --report` prints and
// writes, and what chooses the layers to keep in float (--keep-float).
#pragma once

#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

struct LayerError {
  std::string node;    // the node whose output is compared
  std::string op;      // its op kind name
  std::string tensor;  // the compared tensor
  double sqnr_db = 0;  // 10 log10(sum x^2 / sum (x - x_q)^2); +inf when equal
  double cosine = 0;   // cosine similarity of the flattened activations
};

struct SensitivityReport {
  std::vector<LayerError> layers;  // in node order
  LayerError output;               // the model's output (logits)
};

Result<SensitivityReport> measure_sensitivity(const ir::Graph& prepared_float, const ir::Graph& int8,
                                              const CalibrationSet& set, ThreadPool* pool);

// The report as JSON (an object with "layers" and "output") and as an aligned text table.
std::string sensitivity_json(const SensitivityReport& report);
std::string sensitivity_table(const SensitivityReport& report);

}  // namespace gramlite::compress
