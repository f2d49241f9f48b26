#include "gramlite/base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace gramlite {
namespace {

TEST(SplitRange, CoversEverythingOnceWithBalancedParts) {
  for (int64_t count : {0, 1, 2, 5, 7, 64, 1001}) {
    for (int parts : {1, 2, 3, 8, 16}) {
      int64_t next = 0, smallest = INT64_MAX, largest = 0;
      for (int i = 0; i < parts; ++i) {
        const Range r = split_range(count, i, parts);
        EXPECT_EQ(r.begin, next) << count << " / " << parts;
        next = r.end;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      EXPECT_EQ(next, count);
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(ThreadPool, RunCallsEveryThreadIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.thread_count(), threads);
    std::vector<std::atomic<int>> calls(static_cast<size_t>(threads));
    for (auto& c : calls) c = 0;
    pool.run([&](int index, int count) {
      EXPECT_EQ(count, threads);
      calls[static_cast<size_t>(index)]++;
    });
    for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  }
}

TEST(ThreadPool, NonPositiveThreadCountMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.thread_count(), 1);
  int calls = 0;
  pool.run([&](int index, int count) {
    EXPECT_EQ(index, 0);
    EXPECT_EQ(count, 1);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPool, PoolOfOneAndNullRunOnTheCallersThread) {
  const std::thread::id caller = std::this_thread::get_id();
  ThreadPool one(1);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &one}) {
    EXPECT_EQ(thread_count(pool), 1);
    run_on_threads(pool, [&](int index, int count) {
      EXPECT_EQ(index, 0);
      EXPECT_EQ(count, 1);
      EXPECT_EQ(std::this_thread::get_id(), caller);
    });
    parallel_for(pool, 10, [&](int64_t begin, int64_t end) {
      EXPECT_EQ(begin, 0);
      EXPECT_EQ(end, 10);
      EXPECT_EQ(std::this_thread::get_id(), caller);
    });
  }
}

TEST(ThreadPool, ParallelForVisitsEachIndexExactlyOnce) {
  ThreadPool two(2), three(3), eight(8);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three, &eight}) {
    for (int64_t count : {0, 1, 2, 3, 17, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      for (auto& h : hits) h = 0;
      parallel_for(pool, count, [&](int64_t begin, int64_t end) {
        EXPECT_LT(begin, end);
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

// Four threads on CI's two cores: every job waits until all four have had a time slice, about
// 12 ms a job there, so 500 jobs (not more) keep the test near 6 s while still cycling the start and
// done handshakes far more often than any race window needs.
TEST(ThreadPool, ManyJobsInARow) {
  constexpr int kJobs = 500;
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  for (int job = 0; job < kJobs; ++job) {
    parallel_for(&pool, 8, [&](int64_t begin, int64_t end) { total += end - begin; });
  }
  EXPECT_EQ(total.load(), kJobs * 8);
}

TEST(ThreadPool, ConcurrentCallersAreSerialised) {
  ThreadPool pool(3);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int64_t> total{0};
  auto caller = [&] {
    for (int job = 0; job < 300; ++job) {
      pool.run([&](int index, int count) {
        if (index == 0) {
          if (inside.fetch_add(1) != 0) overlapped = true;
        }
        total += count;
        if (index == 0) inside.fetch_sub(1);
      });
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_FALSE(overlapped.load());
  EXPECT_EQ(total.load(), 2 * 300 * 3 * 3);
}


TEST(ThreadPoolSubmit, TasksRunOnWorkersWhileTheCallerContinues) {
  ThreadPool pool(3);
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  int finished = 0;
  bool ran_on_caller = false;
  for (int i = 0; i < 2; ++i) {
    pool.submit([&] {
      std::unique_lock<std::mutex> lock(mutex);
      if (std::this_thread::get_id() == caller) ran_on_caller = true;
      cv.wait(lock, [&] { return release; });  // blocks until the caller, still running, lets go
      ++finished;
      cv.notify_all();
    });
  }
  // submit() returned although both tasks are blocked: they run beside the caller.
  std::unique_lock<std::mutex> lock(mutex);
  EXPECT_EQ(finished, 0);
  release = true;
  cv.notify_all();
  cv.wait(lock, [&] { return finished == 2; });
  EXPECT_FALSE(ran_on_caller);
}

TEST(ThreadPoolSubmit, PoolOfOneRunsTheTaskOnTheCaller) {
  ThreadPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  bool ran = false;
  pool.submit([&] {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ran = true;
  });
  EXPECT_TRUE(ran);
}

TEST(ThreadPoolSubmit, DestructorRunsEveryQueuedTask) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 500; ++i) pool.submit([&] { done++; });
  }
  EXPECT_EQ(done.load(), 500);
}

TEST(ThreadPoolSubmit, JobsAndTasksShareTheWorkers) {
  // A run() job waits for the task a worker is on, takes every thread, and tasks go on after.
  ThreadPool pool(4);
  std::atomic<int> tasks_done{0};
  std::atomic<int64_t> job_total{0};
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 3; ++i) pool.submit([&] { tasks_done++; });
    std::vector<std::atomic<int>> calls(4);
    for (auto& c : calls) c = 0;
    pool.run([&](int index, int count) {
      EXPECT_EQ(count, 4);
      calls[static_cast<size_t>(index)]++;
      job_total++;
    });
    for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  }
  EXPECT_EQ(job_total.load(), 200 * 4);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (tasks_done.load() < 600 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(tasks_done.load(), 600);
}

}  // namespace
}  // namespace gramlite
