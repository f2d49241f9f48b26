#include "gramlite/data/dataset/data_loader.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <numeric>
#include <system_error>
#include <utility>

namespace gramlite::data {

// One batch being built: buffers sized for its planned samples, filled in place by workers.
struct DataLoader::Slot {
  int count = 0;      // planned samples
  int remaining = 0;  // samples not built yet
  std::vector<float> images;
  std::vector<int> labels;
  std::vector<std::string> paths;
  std::vector<int64_t> sample_indices;
  std::vector<Status> statuses;
};

namespace {

Status validate(const std::vector<DatasetSample>& samples, const DataLoaderOptions& options) {
  if (samples.empty()) return invalid_argument("data loader: the dataset is empty");
  if (options.batch_size < 1) return invalid_argument("data loader: batch size must be at least 1");
  if (options.workers < 1) return invalid_argument("data loader: at least one worker is needed");
  if (options.prefetch_batches < 1) return invalid_argument("data loader: prefetch must be at least one batch");
  GRAMLITE_RETURN_IF_ERROR(options.input.validate());
  return options.augmentation.validate();
}

}  // namespace

Result<std::unique_ptr<DataLoader>> DataLoader::create(std::vector<DatasetSample> samples, DataLoaderOptions options,
                                                       ThreadPool* pool) {
  GRAMLITE_RETURN_IF_ERROR(validate(samples, options));
  return std::unique_ptr<DataLoader>(new DataLoader(std::move(samples), std::move(options), pool, nullptr));
}

Result<std::unique_ptr<DataLoader>> DataLoader::create(const FolderDataset& dataset, DataLoaderOptions options,
                                                       ThreadPool* pool) {
  return create(dataset.samples, std::move(options), pool);
}

Result<std::unique_ptr<DataLoader>> DataLoader::create(std::vector<DatasetSample> samples, DataLoaderOptions options) {
  GRAMLITE_RETURN_IF_ERROR(validate(samples, options));
  std::unique_ptr<ThreadPool> pool;
  try {
    pool = std::make_unique<ThreadPool>(options.workers + 1);
  } catch (const std::system_error& e) {
    return internal_error("data loader: cannot start worker threads: ", e.what());
  }
  ThreadPool* borrowed = pool.get();
  return std::unique_ptr<DataLoader>(new DataLoader(std::move(samples), std::move(options), borrowed, std::move(pool)));
}

Result<std::unique_ptr<DataLoader>> DataLoader::create(const FolderDataset& dataset, DataLoaderOptions options) {
  return create(dataset.samples, std::move(options));
}

DataLoader::DataLoader(std::vector<DatasetSample> samples, DataLoaderOptions options, ThreadPool* pool,
                       std::unique_ptr<ThreadPool> owned_pool)
    : samples_(std::move(samples)),
      options_(std::move(options)),
      owned_pool_(std::move(owned_pool)),
      pool_(pool),
      max_tasks_(pool == nullptr ? 0 : std::min(options_.workers, pool->thread_count() - 1)) {}

DataLoader::~DataLoader() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  // Queued tasks still run (the pool drains its queue) and end at once; the ones building a
  // sample finish that one image.
  ready_cv_.wait(lock, [this] { return tasks_ == 0 && in_flight_ == 0; });
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = static_cast<int64_t>(samples_.size());
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::abandon_epoch(std::unique_lock<std::mutex>& lock) {
  next_position_ = planned_samples_;  // no new claims
  ready_cv_.wait(lock, [this] { return in_flight_ == 0; });
  slots_.clear();
}

void DataLoader::start_epoch(int64_t epoch) {
  std::unique_lock<std::mutex> lock(mutex_);
  abandon_epoch(lock);
  const int64_t n = static_cast<int64_t>(samples_.size());
  order_.resize(samples_.size());
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (options_.shuffle) {
    SampleRng rng = SampleRng::for_sample(options_.seed, epoch, -1);
    for (int64_t i = n - 1; i > 0; --i) std::swap(order_[i], order_[rng.uniform_int(i + 1)]);
  }
  planned_batches_ = batches_per_epoch();
  planned_samples_ = std::min(n, planned_batches_ * options_.batch_size);
  next_position_ = 0;
  next_batch_ = 0;
  epoch_ = epoch;
  epoch_stats_ = LoaderStats{};
  schedule(lock);
}

bool DataLoader::can_claim(int64_t up_to_batch) const {
  return !stopping_ && next_position_ < planned_samples_ && next_position_ / options_.batch_size <= up_to_batch;
}

void DataLoader::build_claimed(std::unique_lock<std::mutex>& lock) {
  const int64_t batch_size = options_.batch_size;
  const int64_t position = next_position_++;
  const int64_t batch = position / batch_size;
  std::unique_ptr<Slot>& slot = slots_[batch];
  if (!slot) {
    slot = std::make_unique<Slot>();
    slot->count = static_cast<int>(std::min(batch_size, planned_samples_ - batch * batch_size));
    slot->remaining = slot->count;
    slot->images.resize(static_cast<size_t>(slot->count) * options_.input.tensor_size());
    slot->labels.resize(slot->count);
    slot->paths.resize(slot->count);
    slot->sample_indices.resize(slot->count);
    slot->statuses.resize(slot->count);
  }
  Slot& target = *slot;  // stays put: slots are only erased by the consumer once complete
  const int index_in_batch = static_cast<int>(position - batch * batch_size);
  target.sample_indices[index_in_batch] = order_[position];
  const int64_t epoch = epoch_;
  ++in_flight_;
  lock.unlock();
  build_sample(target, index_in_batch, epoch);
  lock.lock();
  --in_flight_;
  --target.remaining;
  ready_cv_.notify_all();
}

void DataLoader::schedule(std::unique_lock<std::mutex>& /*lock*/) {
  // Claimable positions within the prefetch window, less the tasks already on their way.
  const int64_t window_end =
      std::min(planned_samples_, (next_batch_ + options_.prefetch_batches) * options_.batch_size);
  int64_t room = std::max<int64_t>(0, window_end - next_position_) - tasks_;
  while (!stopping_ && tasks_ < max_tasks_ && room > 0) {
    ++tasks_;
    --room;
    pool_->submit([this] { background_task(); });  // max_tasks_ > 0: the pool has workers, so this never runs inline
  }
}

void DataLoader::background_task() {
  std::unique_lock<std::mutex> lock(mutex_);
  // One sample per task, so that a run() job on the same pool waits for one image at most.
  if (can_claim(next_batch_ + options_.prefetch_batches - 1)) build_claimed(lock);
  --tasks_;
  schedule(lock);
  ready_cv_.notify_all();
}

void DataLoader::build_sample(Slot& slot, int64_t index_in_batch, int64_t epoch) {
  const int64_t sample_index = slot.sample_indices[index_in_batch];
  const DatasetSample& sample = samples_[sample_index];
  slot.labels[index_in_batch] = sample.label;
  slot.paths[index_in_batch] = sample.path;
  SampleRng rng = SampleRng::for_sample(options_.seed, epoch, sample_index);
  float* out = slot.images.data() + index_in_batch * options_.input.tensor_size();
  Status status = load_model_tensor(sample.path, options_.input, options_.augmentation, rng, out,
                                    options_.max_image_pixels);
  if (status.ok()) return;
  slot.statuses[index_in_batch] = status;
  std::lock_guard<std::mutex> lock(skip_mutex_);
  try {
    if (options_.on_skip) {
      options_.on_skip(sample.path, status);
    } else {
      std::cerr << "gramlite: warning: skipping '" << sample.path << "': " << status.message() << "\n";
    }
  } catch (...) {
    // A throwing callback must not take a worker thread (and the process) down with it.
  }
}

std::optional<Batch> DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (epoch_ < 0 || stopping_ || next_batch_ >= planned_batches_) return std::nullopt;
    const int64_t index = next_batch_;
    schedule(lock);
    while (true) {
      const auto it = slots_.find(index);
      if (stopping_) return std::nullopt;
      if (it != slots_.end() && it->second->remaining == 0) break;
      if (can_claim(index)) {
        build_claimed(lock);  // help with the batch asked for rather than wait for it
      } else {
        ready_cv_.wait(lock);
      }
    }
    std::unique_ptr<Slot> slot = std::move(slots_[index]);
    slots_.erase(index);
    ++next_batch_;
    schedule(lock);  // the window moved: tasks may start the next batch
    lock.unlock();

    // Compact out the samples that failed, keeping batch order.
    Batch batch;
    batch.index = index;
    batch.height = options_.input.height;
    batch.width = options_.input.width;
    const size_t image_floats = options_.input.tensor_size();
    std::vector<std::string> skipped;
    int kept = 0;
    for (int i = 0; i < slot->count; ++i) {
      if (!slot->statuses[i].ok()) {
        skipped.push_back(slot->paths[i]);
        continue;
      }
      if (kept != i) {
        std::copy_n(slot->images.begin() + i * image_floats, image_floats, slot->images.begin() + kept * image_floats);
        slot->labels[kept] = slot->labels[i];
        slot->paths[kept] = std::move(slot->paths[i]);
        slot->sample_indices[kept] = slot->sample_indices[i];
      }
      ++kept;
    }
    slot->images.resize(kept * image_floats);
    slot->labels.resize(kept);
    slot->paths.resize(kept);
    slot->sample_indices.resize(kept);
    batch.size = kept;
    batch.images = std::move(slot->images);
    batch.labels = std::move(slot->labels);
    batch.paths = std::move(slot->paths);
    batch.sample_indices = std::move(slot->sample_indices);

    lock.lock();
    for (LoaderStats* stats : {&epoch_stats_, &total_stats_}) {
      stats->images += kept;
      stats->skipped += static_cast<int64_t>(skipped.size());
      stats->skipped_files.insert(stats->skipped_files.end(), skipped.begin(), skipped.end());
    }
    if (kept > 0) return batch;
  }
}

LoaderStats DataLoader::epoch_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_stats_;
}

LoaderStats DataLoader::total_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_stats_;
}

}  // namespace gramlite::data
