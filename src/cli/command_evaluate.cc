#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "data/dataset/data_loader.h"
#include "data/dataset/folder_dataset.h"
#include "format/model_file.h"
#include "report/metrics.h"
#include "runtime/session.h"
#include "runtime/thread_pool.h"

namespace gramlite::cli {
namespace {

struct EvaluateFlags {
  std::string model;
  std::string data;
  std::string split = "test";
  int batch = 32;
  int threads = 1;
  int workers = 2;
  bool json = false;
};

// The dataset with its labels numbered like the model's outputs: by class name when the model's
// names are the dataset's class folders, else in the dataset's (sorted) order with a warning.
Result<data::FolderDataset> open_dataset_for_model(const EvaluateFlags& flags, const ir::ModelMetadata& meta,
                                                   size_t model_classes) {
  data::FolderDatasetOptions options;
  options.split = flags.split;
  options.classes = meta.class_names;
  auto by_name = data::open_folder_dataset(flags.data, options);
  if (by_name.ok()) return by_name;
  options.classes.clear();
  GRAMLITE_ASSIGN_OR_RETURN(data::FolderDataset dataset, data::open_folder_dataset(flags.data, options));
  if (dataset.class_names.size() != model_classes) {
    return invalid_argument("the model has ", model_classes, " classes but '", flags.data, "' has ",
                            dataset.class_names.size(), " (", by_name.status().message(), ")");
  }
  std::cerr << "gramlite: warning: the model's class names do not match the dataset's folders; output i is "
               "scored as the dataset's i-th class in sorted order\n";
  return dataset;
}

int evaluate_model(const EvaluateFlags& flags) {
  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  const ir::Shape& input_shape = graph->tensor(graph->inputs[0]).shape;
  if (graph->inputs.size() != 1 || graph->outputs.size() != 1 || input_shape.size() != 4 || input_shape[1] != 3) {
    return report_error(unsupported("'", flags.model, "' is not a one-image-input classifier (input ",
                                    ir::shape_to_string(input_shape), ")"));
  }
  runtime::ThreadPool pool(flags.threads);
  runtime::SessionOptions session_options;
  session_options.pool = &pool;
  auto session = runtime::Session::create(graph, session_options);
  if (!session.ok()) return report_error(session.status().with_context(flags.model));
  if (Status s = (*session)->prepare(1); !s.ok()) return report_error(s.with_context(flags.model));
  const auto classes = static_cast<size_t>(ir::element_count((*session)->output_shapes()[0]));

  auto dataset = open_dataset_for_model(flags, graph->metadata, classes);
  if (!dataset.ok()) return report_error(dataset.status());
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = flags.batch;
  loader_options.shuffle = false;
  loader_options.workers = flags.workers;
  loader_options.input.width = static_cast<int>(input_shape[3]);
  loader_options.input.height = static_cast<int>(input_shape[2]);
  loader_options.input.preprocessing = graph->metadata.preprocessing;
  auto loader = data::DataLoader::create(*dataset, loader_options);
  if (!loader.ok()) return report_error(loader.status());

  std::vector<int> labels;
  std::vector<float> scores;
  Progress progress("evaluate", static_cast<int64_t>(dataset->size()), !flags.json);
  (*loader)->start_epoch(0);
  int64_t prepared = 1;
  while (std::optional<data::Batch> batch = (*loader)->next()) {
    if (batch->size != prepared) {
      if (Status s = (*session)->prepare(batch->size); !s.ok()) return report_error(s.with_context(flags.model));
      prepared = batch->size;
    }
    std::vector<float> output(static_cast<size_t>(batch->size) * classes);
    if (Status s = (*session)->run({batch->images.data()}, {output.data()}); !s.ok()) return report_error(s);
    scores.insert(scores.end(), output.begin(), output.end());
    labels.insert(labels.end(), batch->labels.begin(), batch->labels.end());
    progress.update(static_cast<int64_t>(labels.size()));
  }
  progress.finish();
  const data::LoaderStats stats = (*loader)->total_stats();
  if (graph->metadata.output_kind == ir::OutputKind::kLogits) softmax_rows(scores, classes);
  auto report = report::evaluate_classification(labels, scores, dataset->class_names);
  if (!report.ok()) return report_error(report.status().with_context(flags.data));

  if (flags.json) {
    nlohmann::json j = {{"model", flags.model}, {"data", flags.data}, {"split", flags.split},
                        {"samples", report->samples}, {"skipped", stats.skipped}, {"accuracy", report->accuracy},
                        {"macro_f1", report->macro_f1}, {"confusion", report->confusion}};
    j["macro_roc_auc"] = std::isnan(report->macro_roc_auc) ? nlohmann::json() : nlohmann::json(report->macro_roc_auc);
    for (const report::ClassMetrics& m : report->classes) {
      j["classes"].push_back({{"name", m.name}, {"support", m.support}, {"precision", m.precision},
                              {"recall", m.recall}, {"f1", m.f1},
                              {"roc_auc", std::isnan(m.roc_auc) ? nlohmann::json() : nlohmann::json(m.roc_auc)}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(4);
  std::cout << flags.model << " on " << flags.data << " (" << (flags.split.empty() ? "all" : flags.split) << ", "
            << report->samples << " images";
  if (stats.skipped > 0) std::cout << ", " << stats.skipped << " unreadable skipped";
  std::cout << ")\naccuracy " << report->accuracy << "   macro F1 " << report->macro_f1 << "   macro ROC AUC "
            << report->macro_roc_auc << "\n\n";
  std::cout << std::left << std::setw(32) << "class" << std::right << std::setw(9) << "support" << std::setw(11)
            << "precision" << std::setw(9) << "recall" << std::setw(9) << "F1" << std::setw(9) << "AUC" << "\n";
  for (const report::ClassMetrics& m : report->classes) {
    std::cout << std::left << std::setw(32) << m.name << std::right << std::setw(9) << m.support << std::setw(11)
              << m.precision << std::setw(9) << m.recall << std::setw(9) << m.f1 << std::setw(9) << m.roc_auc << "\n";
  }
  std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n";
  for (size_t t = 0; t < report->confusion.size(); ++t) {
    std::cout << std::left << std::setw(32) << report->classes[t].name << std::right;
    for (int64_t count : report->confusion[t]) std::cout << std::setw(8) << count;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a model on a folder-per-class dataset with the runtime that ships");
  cmd->add_option("FILE", flags->model, "Model file")->required();
  cmd->add_option("--data", flags->data, "Dataset folder (flat, train/val/test split folders, or a manifest)")->required();
  cmd->add_option("--split", flags->split, "Split to score in a split layout (train, val, test; \"\" for a flat folder)");
  cmd->add_option("--batch", flags->batch, "Images per inference batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", flags->threads, "Inference threads")->check(CLI::Range(1, 256));
  cmd->add_option("--workers", flags->workers, "Image-decoding threads")->check(CLI::Range(1, 64));
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->callback([flags, &exit_code] { exit_code = evaluate_model(*flags); });
}

}  // namespace gramlite::cli
