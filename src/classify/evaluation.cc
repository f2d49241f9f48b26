#include "gramlite/classify/evaluation.h"

#include "gramlite/classify/model_input.h"
#include "gramlite/classify/probabilities.h"
#include "gramlite/runtime/session.h"

namespace gramlite::classify {
namespace {

// The dataset with its labels numbered like the model's outputs: by class name when the model's
// names are the dataset's class folders, else in the dataset's (sorted) order with a warning.
Result<data::FolderDataset> open_dataset_for_model(const std::string& root, const std::string& split,
                                                   const ir::ModelMetadata& meta, size_t model_classes,
                                                   std::vector<std::string>& warnings) {
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
  warnings.push_back("the model's class names do not match the dataset's folders; output i is scored as the "
                     "dataset's i-th class in sorted order");
  return dataset;
}

}  // namespace

Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(ImageInputSize input, image_input_size(*graph, label));
  if (options.max_image_pixels < 0) {
    return invalid_argument("the largest image size must not be negative, got ", options.max_image_pixels);
  }
  runtime::SessionOptions session_options;
  session_options.pool = options.pool;
  auto session = runtime::Session::create(graph, session_options);
  if (!session.ok()) return session.status().with_context(label);
  GRAMLITE_RETURN_IF_ERROR((*session)->prepare(1).with_context(label));
  const auto classes = static_cast<size_t>(ir::element_count((*session)->output_shapes()[0]));

  Evaluation result;
  GRAMLITE_ASSIGN_OR_RETURN(result.dataset, open_dataset_for_model(data_root, options.split, graph->metadata,
                                                                   classes, result.warnings));
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = options.batch;
  loader_options.shuffle = false;
  loader_options.workers = options.workers;
  loader_options.input.width = input.width;
  loader_options.input.height = input.height;
  loader_options.input.preprocessing = graph->metadata.preprocessing;
  loader_options.on_skip = options.on_skip;
  if (options.max_image_pixels > 0) loader_options.max_image_pixels = options.max_image_pixels;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> loader,
                            data::DataLoader::create(result.dataset, loader_options));

  std::vector<int> labels;
  std::vector<float> scores;
  const auto total = static_cast<int64_t>(result.dataset.size());
  loader->start_epoch(0);
  int64_t prepared = 1;
  while (std::optional<data::Batch> batch = loader->next()) {
    if (batch->size != prepared) {
      GRAMLITE_RETURN_IF_ERROR((*session)->prepare(batch->size).with_context(label));
      prepared = batch->size;
    }
    std::vector<float> output(static_cast<size_t>(batch->size) * classes);
    GRAMLITE_RETURN_IF_ERROR((*session)->run({batch->images.data()}, {output.data()}).with_context(label));
    for (size_t b = 0; b < static_cast<size_t>(batch->size); ++b) {
      if (!all_finite(output.data() + b * classes, classes)) {
        return corrupt_data("the output of '", label, "' for '", batch->paths[b],
                            "' is not finite (NaN or infinity): the model's weights or preprocessing are broken "
                            "(see 'gramlite info')");
      }
    }
    scores.insert(scores.end(), output.begin(), output.end());
    labels.insert(labels.end(), batch->labels.begin(), batch->labels.end());
    result.image_paths.insert(result.image_paths.end(), batch->paths.begin(), batch->paths.end());
    if (options.on_progress) options.on_progress(static_cast<int64_t>(labels.size()), total);
  }
  result.stats = loader->total_stats();
  result.outputs = scores;
  result.classes = classes;
  if (graph->metadata.output_kind == ir::OutputKind::kLogits) softmax_rows(scores, classes);
  auto report = report::evaluate_classification(labels, scores, result.dataset.class_names);
  if (!report.ok()) return report.status().with_context(data_root);
  result.report = std::move(report).value();
  result.labels = std::move(labels);
  return result;
}

}  // namespace gramlite::classify
