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
// Threads are injected: samples are built by background tasks on a borrowed ThreadPool
// (ThreadPool::submit, one task per sample, at most `workers` at once), so one process keeps one
// set of worker threads that the runtime's kernels share. The consumer helps too: when the batch
// it asks for is not complete, next() builds that batch's unclaimed samples on its own thread, so
// a pool busy with other jobs (or no pool at all: nullptr) never stalls it. The destructor stops
// mid-epoch and waits for the loader's tasks in flight. One consumer thread calls
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
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/data/dataset/augmentation.h"
#include "gramlite/data/dataset/folder_dataset.h"
#include "gramlite/data/dataset/transforms.h"

namespace gramlite::data {

struct DataLoaderOptions {
  int batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // leave out the last batch when it would be smaller than batch_size
  int workers = 2;           // >= 1: samples built at once in the background (bounded by the pool)
  int prefetch_batches = 2;  // >= 1 batches built or building ahead of the consumer
  ModelInput input;
  AugmentationOptions augmentation = AugmentationOptions::none();
  int64_t max_image_pixels = kDefaultMaxImagePixels;  // larger images are skipped before decoding
  // Called once per skipped file, from a pool or the consumer thread (calls are serialised). Empty: one line
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
  // Validates the options. `pool` is borrowed and must outlive the loader; its worker threads
  // (thread_count() - 1 of them) build samples in the background. nullptr, or a pool of one
  // thread, builds every sample on the consumer's thread inside next().
  static Result<std::unique_ptr<DataLoader>> create(std::vector<DatasetSample> samples, DataLoaderOptions options,
                                                    ThreadPool* pool);
  static Result<std::unique_ptr<DataLoader>> create(const FolderDataset& dataset, DataLoaderOptions options,
                                                    ThreadPool* pool);
  // For a caller without a process pool: the loader owns one of options.workers background
  // threads (plus the consumer's).
  static Result<std::unique_ptr<DataLoader>> create(std::vector<DatasetSample> samples, DataLoaderOptions options);
  static Result<std::unique_ptr<DataLoader>> create(const FolderDataset& dataset, DataLoaderOptions options);
  ~DataLoader();  // stops, also mid-epoch, and waits for the loader's tasks in flight
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
  DataLoader(std::vector<DatasetSample> samples, DataLoaderOptions options, ThreadPool* pool,
             std::unique_ptr<ThreadPool> owned_pool);
  // The helpers below run with mutex_ held (`lock`); build_claimed releases it while building.
  bool can_claim(int64_t up_to_batch) const;
  void build_claimed(std::unique_lock<std::mutex>& lock);  // claims next_position_ and builds it
  void schedule(std::unique_lock<std::mutex>& lock);       // submits tasks while there is room
  void background_task();
  // Builds sample `index_in_batch` of `slot` (no lock held).
  void build_sample(Slot& slot, int64_t index_in_batch, int64_t epoch);
  void abandon_epoch(std::unique_lock<std::mutex>& lock);

  const std::vector<DatasetSample> samples_;
  const DataLoaderOptions options_;
  std::unique_ptr<ThreadPool> owned_pool_;  // only for the pool-less create()
  ThreadPool* const pool_;
  const int max_tasks_;  // background tasks at once: min(workers, the pool's worker threads)

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable ready_cv_;  // a sample finished or a task ended: next(), abandon_epoch, the destructor wait here
  std::vector<int64_t> order_;        // this epoch's sample order (dataset indices)
  int64_t epoch_ = -1;
  int64_t planned_samples_ = 0;  // positions of order_ that belong to batches (drop_last)
  int64_t planned_batches_ = 0;
  int64_t next_position_ = 0;    // next position to claim
  int64_t next_batch_ = 0;       // next batch the consumer takes
  int in_flight_ = 0;            // samples being built right now (by tasks or the consumer)
  int tasks_ = 0;                // background tasks submitted and not yet ended (queued included)
  bool stopping_ = false;
  std::map<int64_t, std::unique_ptr<Slot>> slots_;  // batches being built or waiting, by index
  LoaderStats epoch_stats_;
  LoaderStats total_stats_;
  std::mutex skip_mutex_;  // serialises on_skip calls
};

}  // namespace gramlite::data
