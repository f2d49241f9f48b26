#include "gramlite/base/thread_pool.h"

#ifdef GRAMLITE_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace gramlite {

Range split_range(int64_t count, int index, int parts) {
  if (parts <= 0 || count <= 0) return {};
  const int64_t base = count / parts;
  const int64_t extra = count % parts;
  const int64_t i = index;
  const int64_t begin = i * base + (i < extra ? i : extra);
  const int64_t size = base + (i < extra ? 1 : 0);
  return {begin, begin + size};
}

ThreadPool::ThreadPool(int thread_count) : thread_count_(thread_count < 1 ? 1 : thread_count) {
#ifdef GRAMLITE_HAVE_PTHREADPOOL
  if (thread_count_ > 1) pthreadpool_ = pthreadpool_create(static_cast<size_t>(thread_count_));
#endif
  workers_.reserve(static_cast<size_t>(thread_count_ - 1));
  for (int i = 1; i < thread_count_; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
#ifdef GRAMLITE_HAVE_PTHREADPOOL
  if (pthreadpool_ != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pthreadpool_));
#endif
}

void ThreadPool::run_job(Job job) {
  if (thread_count_ <= 1) {
    job.call(job.context, 0, 1);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mutex_);
#ifdef GRAMLITE_HAVE_PTHREADPOOL
  if (pthreadpool_ != nullptr) {
    struct Call {
      Job job;
      int count;
    } call{job, thread_count_};
    pthreadpool_parallelize_1d(
        static_cast<pthreadpool_t>(pthreadpool_),
        [](void* context, size_t index) {
          const auto* c = static_cast<const Call*>(context);
          c->job.call(c->job.context, static_cast<int>(index), c->count);
        },
        &call, static_cast<size_t>(thread_count_), 0);
    return;
  }
#endif
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = job;
    pending_ = thread_count_ - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  job.call(job.context, 0, thread_count_);
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
}

void ThreadPool::submit(std::function<void()> task) {
  if (thread_count_ <= 1) {
    task();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  start_cv_.notify_one();
}

void ThreadPool::worker_main(int thread_index) {
  uint64_t seen_generation = 0;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen_generation || !tasks_.empty(); });
      if (generation_ == seen_generation) {
        // No job waiting for this thread: a queued task, or the end (after the queue drained).
        if (tasks_.empty()) return;  // stopping_
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        continue;
      }
      seen_generation = generation_;
      job = job_;
    }
    job.call(job.context, thread_index, thread_count_);
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = (--pending_ == 0);
    }
    if (last) done_cv_.notify_one();
  }
}

}  // namespace gramlite
