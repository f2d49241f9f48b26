// Calibration images for quantization: up to N images of a dataset folder, read by the dataset
// loader and preprocessed exactly as the model's own metadata says (what `gramlite run` feeds it).
//
//   classify::CalibrationImageOptions options;
//   options.count = 300;
//   auto set = classify::load_calibration_images(graph, "model.gramlite", "data/", options);
//   compress::calibrate(prepared, *set, {...});
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/ir/graph.h"

namespace gramlite::classify {

struct CalibrationImageOptions {
  int64_t count = 300;  // at most this many images (>= 1); fewer when the folder holds fewer
  int batch = 16;       // images per calibration batch (>= 1)
  // Which images, when the folder holds more than `count`: a sample drawn with this seed (the same
  // seed and folder give the same images on every platform), kept in the dataset's order.
  uint64_t seed = 0;
  // A split of a train/val/test layout; empty: the whole folder (flat or manifest), or "train"
  // when the folder is split.
  std::string split;
  ThreadPool* pool = nullptr;    // borrowed; decodes images in the background
  int workers = 2;               // images decoded at once
  int64_t max_image_pixels = 0;  // 0: data's default bound
  // After each batch: (images read, images asked for). Unreadable files are skipped (on_skip).
  std::function<void(int64_t done, int64_t total)> progress;
  std::function<void(const std::string& path, const Status& why)> on_skip;
};

// The images of `folder` the way `graph` (its one [N, 3, H, W] input and its metadata's
// preprocessing) takes them. Errors name `label` (the model) or the folder: not a one-image
// classifier, a missing or empty folder (kNotFound for a missing one), no readable image.
Result<compress::CalibrationSet> load_calibration_images(const ir::Graph& graph, const std::string& label,
                                                          const std::string& folder,
                                                          const CalibrationImageOptions& options);

}  // namespace gramlite::classify
