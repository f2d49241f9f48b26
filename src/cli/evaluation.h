// Scoring a model on a dataset split with the runtime that ships (not libtorch): shared by
// `gramlite evaluate`, `gramlite train`'s final report and `gramlite sweep`.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "data/dataset/data_loader.h"
#include "data/dataset/folder_dataset.h"
#include "ir/graph.h"
#include "report/metrics.h"

namespace gramlite::cli {

struct EvaluationOptions {
  std::string split = "test";
  int batch = 32;
  int threads = 1;
  int workers = 2;
  bool progress = true;
};

struct Evaluation {
  data::FolderDataset dataset;
  report::ClassificationReport report;
  data::LoaderStats stats;
};

// `label` names the model in errors. Errors: not a one-image classifier; a dataset whose classes
// do not fit the model; unreadable data.
Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& options);

// The report as the text table `gramlite evaluate` prints.
void print_evaluation(const Evaluation& evaluation, const std::string& model_label, const std::string& data_root,
                      const std::string& split);

}  // namespace gramlite::cli
