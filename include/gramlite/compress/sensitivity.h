// Per-layer quantization error: each int8 activation, dequantized, against the float activation
// of the same name on the calibration images. What `gramlite quantize --report` prints and
// writes, and what chooses the layers to keep in float (--keep-float).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/ir/graph.h"

namespace gramlite::compress {

struct LayerError {
  std::string node;    // the node whose output is compared (the float graph's)
  std::string op;      // its op kind name
  std::string tensor;  // the compared tensor
  double sqnr_db = 0;  // 10 log10(sum x^2 / sum (x - x_q)^2); +inf when equal, -inf when x is all 0 and x_q not
  double cosine = 0;   // cosine similarity of the flattened activations; 1 when both are all 0, 0 when one is
  int64_t values = 0;  // values compared (over all images)
};

// The two metrics over a pair of equally long arrays, `reference` (float) against `test`
// (dequantized int8), as the report computes them (in double precision).
double sqnr_db(const std::vector<float>& reference, const std::vector<float>& test);
double cosine_similarity(const std::vector<float>& reference, const std::vector<float>& test);

struct SensitivityReport {
  std::vector<LayerError> layers;  // in node order
  LayerError output;               // the model's output (logits)
};

// Runs both graphs over `set` (each as given: prepared_float is not optimized again) and compares,
// for every node of prepared_float whose output tensor the int8 graph also produces under the
// same name, the two activations: int8 tensors dequantized with their own scale and zero point,
// float ones (Dequantize outputs, layers kept in float) as they are. The output compares graph
// output 0 of both. Errors: an empty set, a graph with more than one input, a name matched with a
// different element count, an int8 activation without quantization parameters (each named).
Result<SensitivityReport> measure_sensitivity(const ir::Graph& prepared_float, const ir::Graph& int8,
                                              const CalibrationSet& set, ThreadPool* pool);

// The report as JSON (an object with "layers", an array of {"node", "op", "tensor", "sqnr_db",
// "cosine"} in node order, and "output", one such object) and as an aligned text table. JSON has
// no infinity: an infinite SQNR is written as the string "inf" (or "-inf").
std::string sensitivity_json(const SensitivityReport& report);
std::string sensitivity_table(const SensitivityReport& report);

}  // namespace gramlite::compress
