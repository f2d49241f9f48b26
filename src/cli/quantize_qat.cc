#include "cli/quantize_qat.h"

#include <iostream>

#include "gramlite/train/quantization_aware.h"

namespace gramlite::cli {

Result<QatOutcome> run_qat(const QatRequest& request) {
  train::QuantizationAwareOptions options;
  options.job.model.model_file = request.model;
  options.job.data = request.data;
  options.job.epochs = request.epochs;
  options.job.batch = request.batch;
  options.job.learning_rate = request.learning_rate;
  options.job.threads = request.threads;
  options.job.resume = request.resume;
  // The trained float model and its log sit next to the int8 output: OUT.qat.ckpt, OUT.qat.train.*
  std::string stem = request.output;
  if (const size_t dot = stem.rfind(".gramlite"); dot != std::string::npos && dot + 9 == stem.size()) stem.resize(dot);
  options.job.checkpoint = stem + ".qat.ckpt";
  options.job.log = stem + ".qat.train";
  options.per_tensor_weights = request.per_tensor_weights;
  options.weight_bits = request.weight_bits;
  GRAMLITE_ASSIGN_OR_RETURN(train::QuantizationAwareResult result, train::run_quantization_aware_training(options));
  return QatOutcome{std::move(result.prepared_float), std::move(result.ranges)};
}

}  // namespace gramlite::cli
