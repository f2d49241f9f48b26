// Classifier: image(s) -> class probabilities with the model's own preprocessing (its metadata's
// resize mode, mean/std and channel order), run by the runtime that ships. The library behind
// `gramlite run`.
//
//   gramlite::ThreadPool pool(4);
//   gramlite::classify::ClassifierOptions options;
//   options.pool = &pool;
//   auto classifier = gramlite::classify::Classifier::open("model.gramlite", options);
//   auto results = (*classifier)->classify_files({"a.png", "b.jpg"});
//   for (const auto& r : *results) if (r.status.ok()) use(r.probabilities);
//
// Errors: a Result's error is about the model (unreadable, not a one-image classifier, a failed
// run); problems with one image (missing, undecodable, too large, a non-finite output) are that
// image's `status`, so the other images are still classified.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/classify/model_input.h"
#include "gramlite/classify/probabilities.h"
#include "gramlite/data/image.h"
#include "gramlite/ir/graph.h"
#include "gramlite/runtime/session.h"

namespace gramlite::classify {

struct ClassifierOptions {
  ThreadPool* pool = nullptr;    // borrowed, must outlive the classifier; nullptr: the caller's thread
  int batch = 8;                 // images per inference batch in classify_files (>= 1)
  int64_t max_image_pixels = 0;  // decoded width x height above which an image is refused; 0: data's default
};

struct ImageClassification {
  std::string image;                 // the path (classify_files) or "image <i>" (classify_images)
  Status status;                     // not ok: unreadable image, or the model's output is not finite
  bool output_not_finite = false;    // the failure is a NaN or infinite model output (status is corrupt data)
  std::vector<float> probabilities;  // one per class when status is ok, else empty
};

class Classifier {
 public:
  // `label` names the model in errors (its file, usually).
  static Result<std::unique_ptr<Classifier>> create(std::shared_ptr<const ir::Graph> graph, std::string label,
                                                    ClassifierOptions options = {});
  // format::load_model + create.
  static Result<std::unique_ptr<Classifier>> open(const std::string& model_path, ClassifierOptions options = {});

  // Reads, preprocesses and classifies the files in batches of options.batch; one result per path,
  // in order.
  Result<std::vector<ImageClassification>> classify_files(const std::vector<std::string>& paths);
  // The same for decoded images (one batch).
  Result<std::vector<ImageClassification>> classify_images(const std::vector<data::RgbImage>& images);

  const ir::Graph& graph() const { return *graph_; }
  ImageInputSize input_size() const { return input_; }
  // Classes the model outputs (known after create); names from the metadata, where it has them.
  size_t classes() const { return classes_; }
  const std::vector<std::string>& class_names() const { return graph_->metadata.class_names; }

 private:
  Classifier(std::shared_ptr<const ir::Graph> graph, std::string label, ClassifierOptions options,
             ImageInputSize input, std::unique_ptr<runtime::Session> session, size_t classes);
  // Runs `names.size()` preprocessed images in `input` and fills one result per image.
  Status run_batch(const std::vector<float>& input, const std::vector<std::string>& names,
                   std::vector<ImageClassification*>& results);

  std::shared_ptr<const ir::Graph> graph_;
  std::string label_;
  ClassifierOptions options_;
  ImageInputSize input_;
  std::unique_ptr<runtime::Session> session_;
  size_t classes_ = 0;
  int64_t prepared_batch_ = 0;
};

}  // namespace gramlite::classify
