#include "cli/evaluation.h"

#include <cmath>
#include <iomanip>
#include <iostream>

#include "cli/cli_common.h"
#include "runtime/session.h"
#include "base/thread_pool.h"

namespace gramlite::cli {
namespace {

// The dataset with its labels numbered like the model's outputs: by class name when the model's
// names are the dataset's class folders, else in the dataset's (sorted) order with a warning.
Result<data::FolderDataset> open_dataset_for_model(const std::string& root, const std::string& split,
                                                   const ir::ModelMetadata& meta, size_t model_classes) {
  data::FolderDatasetOptions options;
  options.split = split;
  options.classes = meta.class_names;
  auto by_name = data::open_folder_dataset(root, options);
  if (by_name.ok()) return by_name;
  options.classes.clear();
  GRAMLITE_ASSIGN_OR_RETURN(data::FolderDataset dataset, data::open_folder_dataset(root, options));
  if (dataset.class_names.size() != model_classes) {
    return invalid_argument("the model has ", model_classes, " classes but '", root, "' has ",
                            dataset.class_names.size(), " (", by_name.status().message(), ")");
  }
  std::cerr << "gramlite: warning: the model's class names do not match the dataset's folders; output i is "
               "scored as the dataset's i-th class in sorted order\n";
  return dataset;
}

}  // namespace

Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& flags) {
  const ir::Shape& input_shape = graph->tensor(graph->inputs[0]).shape;
  if (graph->inputs.size() != 1 || graph->outputs.size() != 1 || input_shape.size() != 4 || input_shape[1] != 3) {
    return unsupported("'", label, "' is not a one-image-input classifier (input ", ir::shape_to_string(input_shape), ")");
  }
  gramlite::ThreadPool pool(flags.threads);
  runtime::SessionOptions session_options;
  session_options.pool = &pool;
  auto session = runtime::Session::create(graph, session_options);
  if (!session.ok()) return session.status().with_context(label);
  GRAMLITE_RETURN_IF_ERROR((*session)->prepare(1).with_context(label));
  const auto classes = static_cast<size_t>(ir::element_count((*session)->output_shapes()[0]));

  Evaluation result;
  GRAMLITE_ASSIGN_OR_RETURN(result.dataset, open_dataset_for_model(data_root, flags.split, graph->metadata, classes));
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = flags.batch;
  loader_options.shuffle = false;
  loader_options.workers = flags.workers;
  loader_options.input.width = static_cast<int>(input_shape[3]);
  loader_options.input.height = static_cast<int>(input_shape[2]);
  loader_options.input.preprocessing = graph->metadata.preprocessing;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> loader, data::DataLoader::create(result.dataset, loader_options));

  std::vector<int> labels;
  std::vector<float> scores;
  Progress progress("evaluate", static_cast<int64_t>(result.dataset.size()), flags.progress);
  loader->start_epoch(0);
  int64_t prepared = 1;
  while (std::optional<data::Batch> batch = loader->next()) {
    if (batch->size != prepared) {
      GRAMLITE_RETURN_IF_ERROR((*session)->prepare(batch->size).with_context(label));
      prepared = batch->size;
    }
    std::vector<float> output(static_cast<size_t>(batch->size) * classes);
    GRAMLITE_RETURN_IF_ERROR((*session)->run({batch->images.data()}, {output.data()}));
    scores.insert(scores.end(), output.begin(), output.end());
    labels.insert(labels.end(), batch->labels.begin(), batch->labels.end());
    progress.update(static_cast<int64_t>(labels.size()));
  }
  progress.finish();
  result.stats = loader->total_stats();
  if (graph->metadata.output_kind == ir::OutputKind::kLogits) softmax_rows(scores, classes);
  auto report = report::evaluate_classification(labels, scores, result.dataset.class_names);
  if (!report.ok()) return report.status().with_context(data_root);
  result.report = std::move(report).value();
  return result;
}

void print_evaluation(const Evaluation& evaluation, const std::string& model_label, const std::string& data_root,
                      const std::string& split) {
  const report::ClassificationReport& report = evaluation.report;
  std::cout << std::fixed << std::setprecision(4);
  std::cout << model_label << " on " << data_root << " (" << (split.empty() ? "all" : split) << ", " << report.samples
            << " images";
  if (evaluation.stats.skipped > 0) std::cout << ", " << evaluation.stats.skipped << " unreadable skipped";
  std::cout << ")\naccuracy " << report.accuracy << "   macro F1 " << report.macro_f1 << "   macro ROC AUC "
            << report.macro_roc_auc << "\n\n";
  std::cout << std::left << std::setw(32) << "class" << std::right << std::setw(9) << "support" << std::setw(11)
            << "precision" << std::setw(9) << "recall" << std::setw(9) << "F1" << std::setw(9) << "AUC" << "\n";
  for (const report::ClassMetrics& m : report.classes) {
    std::cout << std::left << std::setw(32) << m.name << std::right << std::setw(9) << m.support << std::setw(11)
              << m.precision << std::setw(9) << m.recall << std::setw(9) << m.f1 << std::setw(9) << m.roc_auc << "\n";
  }
  std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n";
  for (size_t t = 0; t < report.confusion.size(); ++t) {
    std::cout << std::left << std::setw(32) << report.classes[t].name << std::right;
    for (int64_t count : report.confusion[t]) std::cout << std::setw(8) << count;
    std::cout << "\n";
  }
  std::cout.unsetf(std::ios::floatfield);
}

}  // namespace gramlite::cli
