// Scoring a model on a dataset split with the runtime that ships (not libtorch): the library
// behind `gramlite evaluate`, `gramlite train`'s final report and `gramlite sweep`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/dataset/data_loader.h"
#include "gramlite/data/dataset/folder_dataset.h"
#include "gramlite/ir/graph.h"
#include "gramlite/report/metrics.h"

namespace gramlite::classify {

struct EvaluationOptions {
  std::string split = "test";  // "" for a flat folder
  int batch = 32;              // images per inference batch
  int workers = 2;             // image-decoding threads of the loader
  ThreadPool* pool = nullptr;  // inference threads; borrowed; nullptr: the caller's thread
  int64_t max_image_pixels = 0;  // decoded width x height above which an image is skipped; 0: data's default
  // Called on the calling thread after each batch with the images scored so far and the split's size.
  std::function<void(int64_t done, int64_t total)> on_progress;
  // Called once per unreadable image (which is skipped and counted); empty: the loader's warning line.
  std::function<void(const std::string& path, const Status& why)> on_skip;
};

struct Evaluation {
  data::FolderDataset dataset;
  report::ClassificationReport report;
  data::LoaderStats stats;
  // Per scored image, in dataset order: its path, its label and the model's raw output row
  // (`classes` values each: logits or probabilities, whichever the model gives).
  std::vector<std::string> image_paths;
  std::vector<int> labels;
  std::vector<float> outputs;
  size_t classes = 0;
  std::vector<std::string> warnings;  // things the caller should show (e.g. class names matched by order)
};

// `label` names the model in errors. Errors: not a one-image classifier (unsupported); a dataset
// whose classes do not fit the model (invalid argument); unreadable data; a non-finite model
// output (corrupt data, naming the image: the metrics would be meaningless).
Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& options);

}  // namespace gramlite::classify
