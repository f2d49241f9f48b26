// The CLI's side of scoring a model on a dataset split: classify::evaluate_on_dataset (the
// library) with a progress bar, its warnings on stderr, and the text table `gramlite evaluate`
// prints. Shared by `gramlite evaluate` and `gramlite sweep`.
#pragma once

#include <memory>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/classify/evaluation.h"
#include "gramlite/ir/graph.h"

namespace gramlite::cli {

using classify::Evaluation;

// Flag-level options: the thread count becomes a pool, `progress` a progress bar on stderr.
struct EvaluationOptions {
  std::string split = "test";
  int batch = 32;
  int threads = 1;
  int workers = 2;
  int64_t max_image_pixels = 0;
  bool progress = true;
};

// classify::evaluate_on_dataset with a pool of `threads`, a progress bar and the library's
// warnings printed as "gramlite: warning: ..." lines.
Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& options);

// The report as the text table `gramlite evaluate` prints.
void print_evaluation(const Evaluation& evaluation, const std::string& model_label, const std::string& data_root,
                      const std::string& split);

}  // namespace gramlite::cli
