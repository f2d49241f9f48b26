// ThreadPool: a fixed set of worker threads that runs one parallel job at a time.
//
// Threads are injected, not owned by the code that uses them: a Session (or a kernel) receives a
// `ThreadPool*` it does not own, and nullptr means "run on the caller's thread". A pool of
// `thread_count` threads starts `thread_count - 1` workers; the calling thread is thread 0 and
// takes its share of every job, so a pool of 1 starts no thread at all.
//
// Work is split ggml-style: a job is a function called once per thread as fn(thread_index,
// thread_count), and each call picks its own slice of the work (split_range below helps). Kernels
// that want their result to be independent of the thread count define their work items from the
// shape alone and only distribute whole items across threads.
//
// One job runs at a time: run() blocks until every thread has returned, and calls to run() from
// several threads at once are serialised. A job must not call run() on the same pool (deadlock).
//
// Where XNNPACK is built in (GRAMLITE_HAVE_PTHREADPOOL), a pool of two or more threads runs its
// jobs on one pthreadpool (the pool XNNPACK's operators take), so a process that shares one
// ThreadPool between its sessions runs every kernel, fast or plain, on one set of compute threads.
// pthreadpool may hand two indices of one job to the same thread, one after the other: jobs split
// work by index and never wait for each other, so that is the same result.
//
// Background tasks (submit): work that runs alongside the caller rather than with it, such as a
// data loader decoding the next batch while the caller trains or evaluates. A task is one short
// unit of work (one image), queued and taken by whichever worker is free; the caller does not
// wait. run() jobs come first: a worker finishes the task it is on, joins the job, and takes
// queued tasks again afterwards, so the same workers serve both and one process keeps one set of
// threads. The split keeps run()'s contract (every thread, fn(index, count), no allocation)
// untouched for kernels, and keeps a long-lived prefetcher from holding every worker hostage: a
// loader submits one task per sample, never a loop that owns a thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace gramlite {

// The half-open range [begin, end) of `count` items that part `index` of `parts` gets: contiguous,
// sizes differ by at most one, earlier parts get the larger share.
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
Range split_range(int64_t count, int index, int parts);

class ThreadPool {
 public:
  // thread_count < 1 is treated as 1.
  explicit ThreadPool(int thread_count);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int thread_count() const { return thread_count_; }
  // The pthreadpool_t the pool's jobs run on (XNNPACK's operators take it), or nullptr where
  // gramlite was built without pthreadpool or the pool has one thread.
  void* pthreadpool_handle() const { return pthreadpool_; }

  // Calls fn(thread_index, thread_count) once on each of the pool's threads (the caller is thread
  // 0) and returns when all calls have returned. `fn` is borrowed for the duration of the call;
  // nothing is allocated.
  // Queues task() to run once on a worker thread and returns at once. A pool of one thread has no
  // worker: the task then runs on the caller's thread before submit() returns. A task must not
  // call run() on its pool (deadlock: run() waits for the worker the task occupies) and must not
  // throw. The destructor runs the tasks still queued before the workers stop.
  void submit(std::function<void()> task);

  template <typename Fn>
  void run(Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run_job(Job{[](void* context, int index, int count) { (*static_cast<F*>(context))(index, count); },
                const_cast<void*>(static_cast<const void*>(&fn))});
  }

 private:
  struct Job {
    void (*call)(void* context, int thread_index, int thread_count) = nullptr;
    void* context = nullptr;
  };
  void run_job(Job job);
  void worker_main(int thread_index);

  int thread_count_ = 1;
  void* pthreadpool_ = nullptr;  // pthreadpool_t, owned
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // serialises run() callers
  std::mutex mutex_;      // guards the fields below
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  Job job_;
  std::deque<std::function<void()>> tasks_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

// Threads a pool provides; 1 for nullptr.
inline int thread_count(const ThreadPool* pool) { return pool == nullptr ? 1 : pool->thread_count(); }

// Calls fn(thread_index, thread_count) on every thread of `pool`, or fn(0, 1) on the caller's
// thread when pool is nullptr or has one thread.
template <typename Fn>
void run_on_threads(ThreadPool* pool, Fn&& fn) {
  if (pool == nullptr || pool->thread_count() <= 1) {
    fn(0, 1);
    return;
  }
  pool->run(std::forward<Fn>(fn));
}

// Splits [0, count) into one contiguous range per thread and calls fn(begin, end) for each
// non-empty range. Runs inline when count is small (<= 1) or there is one thread.
template <typename Fn>
void parallel_for(ThreadPool* pool, int64_t count, Fn&& fn) {
  if (count <= 0) return;
  const int threads = thread_count(pool);
  if (threads <= 1 || count == 1) {
    fn(int64_t{0}, count);
    return;
  }
  pool->run([&](int index, int parts) {
    const Range range = split_range(count, index, parts);
    if (range.size() > 0) fn(range.begin, range.end);
  });
}

}  // namespace gramlite
