#include "gramlite/train/threads.h"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace gramlite::train {

int available_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

TrainingThreads resolve_training_threads(int threads, int workers) {
  const int cores = available_cores();
  TrainingThreads t;
  t.threads = threads > 0 ? threads : cores;
  t.workers = workers > 0 ? workers : std::max(1, cores - t.threads);
  return t;
}

}  // namespace gramlite::train
