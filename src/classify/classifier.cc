#include "gramlite/classify/classifier.h"

#include <algorithm>

#include "gramlite/format/model_file.h"

namespace gramlite::classify {

Result<std::unique_ptr<Classifier>> Classifier::create(std::shared_ptr<const ir::Graph> graph, std::string label,
                                                       ClassifierOptions options) {
  if (options.batch < 1) return invalid_argument("the classifier's batch must be at least 1, got ", options.batch);
  if (options.max_image_pixels < 0) {
    return invalid_argument("the largest image size must not be negative, got ", options.max_image_pixels);
  }
  GRAMLITE_ASSIGN_OR_RETURN(ImageInputSize input, image_input_size(*graph, label));
  runtime::SessionOptions session_options;
  session_options.pool = options.pool;
  auto session = runtime::Session::create(graph, session_options);
  if (!session.ok()) return session.status().with_context(label);
  GRAMLITE_RETURN_IF_ERROR((*session)->prepare(1).with_context(label));
  const int64_t classes = ir::element_count((*session)->output_shapes()[0]);
  if (classes < 1) return unsupported("'", label, "' has an empty output");
  return std::unique_ptr<Classifier>(new Classifier(std::move(graph), std::move(label), options, input,
                                                    std::move(session).value(), static_cast<size_t>(classes)));
}

Result<std::unique_ptr<Classifier>> Classifier::open(const std::string& model_path, ClassifierOptions options) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, format::load_model(model_path));
  return create(std::make_shared<const ir::Graph>(std::move(graph)), model_path, options);
}

Classifier::Classifier(std::shared_ptr<const ir::Graph> graph, std::string label, ClassifierOptions options,
                       ImageInputSize input, std::unique_ptr<runtime::Session> session, size_t classes)
    : graph_(std::move(graph)), label_(std::move(label)), options_(options), input_(input),
      session_(std::move(session)), classes_(classes), prepared_batch_(1) {}

Status Classifier::run_batch(const std::vector<float>& input, const std::vector<std::string>& names,
                             std::vector<ImageClassification*>& results) {
  const auto batch = static_cast<int64_t>(names.size());
  if (batch == 0) return Status::Ok();
  if (batch != prepared_batch_) {
    GRAMLITE_RETURN_IF_ERROR(session_->prepare(batch).with_context(label_));
    prepared_batch_ = batch;
  }
  std::vector<float> output(static_cast<size_t>(batch) * classes_);
  GRAMLITE_RETURN_IF_ERROR(session_->run({input.data()}, {output.data()}).with_context(label_));
  for (size_t b = 0; b < names.size(); ++b) {
    const float* row = output.data() + b * classes_;
    // Checked before the softmax, which would hide an infinity behind a NaN or a clean 0/1.
    if (!all_finite(row, classes_)) {
      results[b]->status = corrupt_data("the output of '", label_, "' for '", names[b],
                                        "' is not finite (NaN or infinity): the model's weights or preprocessing "
                                        "are broken (see 'gramlite info')");
      results[b]->output_not_finite = true;
      continue;
    }
    results[b]->probabilities.assign(row, row + classes_);
    if (graph_->metadata.output_kind == ir::OutputKind::kLogits) softmax_rows(results[b]->probabilities, classes_);
  }
  return Status::Ok();
}

Result<std::vector<ImageClassification>> Classifier::classify_files(const std::vector<std::string>& paths) {
  std::vector<ImageClassification> results(paths.size());
  const size_t image_floats = static_cast<size_t>(3) * input_.width * input_.height;
  const auto batch_size = static_cast<size_t>(options_.batch);
  for (size_t start = 0; start < paths.size(); start += batch_size) {
    const size_t end = std::min(paths.size(), start + batch_size);
    std::vector<float> input;
    std::vector<std::string> names;
    std::vector<ImageClassification*> batch_results;
    for (size_t i = start; i < end; ++i) {
      results[i].image = paths[i];
      Result<data::RgbImage> image = data::read_rgb_image(
          paths[i], options_.max_image_pixels > 0 ? options_.max_image_pixels : data::kDefaultMaxImagePixels);
      if (!image.ok()) {
        results[i].status = image.status();
        continue;
      }
      input.resize(input.size() + image_floats);
      Status s = data::image_to_tensor(*image, graph_->metadata.preprocessing, input_.width, input_.height,
                                       input.data() + input.size() - image_floats);
      if (!s.ok()) {
        results[i].status = s.with_context(paths[i]);
        input.resize(input.size() - image_floats);
        continue;
      }
      names.push_back(paths[i]);
      batch_results.push_back(&results[i]);
    }
    GRAMLITE_RETURN_IF_ERROR(run_batch(input, names, batch_results));
  }
  return results;
}

Result<std::vector<ImageClassification>> Classifier::classify_images(const std::vector<data::RgbImage>& images) {
  std::vector<ImageClassification> results(images.size());
  const size_t image_floats = static_cast<size_t>(3) * input_.width * input_.height;
  std::vector<float> input;
  std::vector<std::string> names;
  std::vector<ImageClassification*> batch_results;
  for (size_t i = 0; i < images.size(); ++i) {
    results[i].image = "image " + std::to_string(i);
    input.resize(input.size() + image_floats);
    Status s = data::image_to_tensor(images[i], graph_->metadata.preprocessing, input_.width, input_.height,
                                     input.data() + input.size() - image_floats);
    if (!s.ok()) {
      results[i].status = s.with_context(results[i].image);
      input.resize(input.size() - image_floats);
      continue;
    }
    names.push_back(results[i].image);
    batch_results.push_back(&results[i]);
  }
  GRAMLITE_RETURN_IF_ERROR(run_batch(input, names, batch_results));
  return results;
}

}  // namespace gramlite::classify
