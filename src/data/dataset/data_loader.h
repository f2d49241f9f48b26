// DataLoader: batches of model-ready tensors from a dataset, built ahead by worker threads.
//
// Determinism: an epoch's order is a Fisher-Yates shuffle driven by SampleRng(seed, epoch, -1);
// batch k holds positions [k * batch_size, (k + 1) * batch_size) of that order; each sample's
// augmentation uses SampleRng(seed, epoch, sample index). Workers only decide *when* a sample is
// built, never *what* it becomes, so batch contents and order are the same for any worker count.
//
// Memory: at most `prefetch_batches` batches exist at once (being built or waiting), each
// batch_size * 3 * height * width floats, plus one decoded image per worker. Workers wait when
// the window is full; the consumer frees a slot by taking a batch.
//
// Bad files: an unreadable or corrupt image is left out of its batch (which is then smaller; a
// batch whose every image failed is not returned), reported through `on_skip` and counted in
// stats(). The loader never throws and never crashes on input data.
//
// Threads: the loader owns its workers (they live as long as the loader, and wait between
// epochs); the destructor stops them mid-epoch and joins. One consumer thread calls
// start_epoch()/next().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "data/dataset/augmentation.h"
#include "data/dataset/folder_dataset.h"
#include "data/dataset/transforms.h"

namespace gramlite::data {

struct DataLoaderOptions {
  int batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // leave out the last batch when it would be smaller than batch_size
  int workers = 2;           // >= 1 threads building samples
  int prefetch_batches = 2;  // >= 1 batches built or building ahead of the consumer
  ModelInput input;
  AugmentationOptions augmentation = AugmentationOptions::none();
  // Called once per skipped file, from a worker thread (calls are serialised). Empty: one line
  // "gramlite: warning: skipping ..." on stderr.
  std::function<void(const std::string& path, const Status& why)> on_skip;
};

// A batch owns its buffers; the loader keeps nothing pointing into it.
struct Batch {
  int64_t index = 0;  // batch number within the epoch
  int size = 0;       // images in this batch (smaller than batch_size at the end or after skips)
  int channels = 3;
  int height = 0;
  int width = 0;
  std::vector<float> images;         // NCHW, size * channels * height * width
  std::vector<int> labels;           // size
  std::vector<std::string> paths;    // size
  std::vector<int64_t> sample_indices;  // size; index into the dataset's samples
};

struct LoaderStats {
  int64_t images = 0;   // images delivered
  int64_t skipped = 0;  // images left out because they could not be read
  std::vector<std::string> skipped_files;  // in batch order
};

class DataLoader {
 public:
  // Validates the options and starts the workers (idle until start_epoch).
  static Result<std::unique_ptr<DataLoader>> create(std::vector<DatasetSample> samples, DataLoaderOptions options);
  static Result<std::unique_ptr<DataLoader>> create(const FolderDataset& dataset, DataLoaderOptions options);
  ~DataLoader();  // stops and joins the workers, also mid-epoch
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Plans epoch `epoch` (its shuffle and augmentation draws) and lets the workers start. An
  // unfinished previous epoch is abandoned: its work in flight is finished and dropped.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch, in order; nullopt when the epoch is over (or none was
  // started). Blocks while the workers build it.
  std::optional<Batch> next();

  int64_t batches_per_epoch() const;
  size_t dataset_size() const { return samples_.size(); }
  const DataLoaderOptions& options() const { return options_; }
  LoaderStats epoch_stats() const;  // since the last start_epoch
  LoaderStats total_stats() const;  // since creation

 private:
  struct Slot;
  DataLoader(std::vector<DatasetSample> samples, DataLoaderOptions options);
  void worker_main();
  // Builds sample `position` of the current order into its slot (no lock held).
  void build_sample(Slot& slot, int64_t position, int64_t epoch);
  void abandon_epoch(std::unique_lock<std::mutex>& lock);

  const std::vector<DatasetSample> samples_;
  const DataLoaderOptions options_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable work_cv_;   // workers wait here for work or stop
  std::condition_variable ready_cv_;  // the consumer waits here for a finished batch; abandon_epoch for in_flight_
  std::vector<int64_t> order_;        // this epoch's sample order (dataset indices)
  int64_t epoch_ = -1;
  int64_t planned_samples_ = 0;  // positions of order_ that belong to batches (drop_last)
  int64_t planned_batches_ = 0;
  int64_t next_position_ = 0;    // next position a worker claims
  int64_t next_batch_ = 0;       // next batch the consumer takes
  int in_flight_ = 0;            // samples being built right now
  bool stopping_ = false;
  std::map<int64_t, std::unique_ptr<Slot>> slots_;  // batches being built or waiting, by index
  LoaderStats epoch_stats_;
  LoaderStats total_stats_;
  std::mutex skip_mutex_;  // serialises on_skip calls
  std::vector<std::thread> workers_;
};

}  // namespace gramlite::data
