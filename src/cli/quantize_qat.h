// The --qat path of `gramlite quantize`: quantization-aware training through the train library
// (libtorch), when this build has it. quantize_qat.cc with train, quantize_qat_disabled.cc without.
#pragma once

#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/quantization.h"

namespace gramlite::cli {

struct QatRequest {
  std::string model;   // the trained float model file
  std::string data;    // dataset folder
  std::string output;  // the int8 model the command will write (names the checkpoint and log)
  int epochs = 1;
  int batch = 32;
  double learning_rate = 1e-5;
  int threads = 0;
  bool resume = false;
  bool per_tensor_weights = false;
  int weight_bits = 8;
};

struct QatOutcome {
  ir::Graph prepared_float;
  ir::ActivationRanges ranges;
};

Result<QatOutcome> run_qat(const QatRequest& request);

}  // namespace gramlite::cli
