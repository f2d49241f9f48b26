// Thread counts for training that fit the machine: libtorch's intra-op threads default to the
// cores this process may run on (its CPU affinity, which taskset and containers narrow), and the
// image-decoding workers to the cores left over, at least one. The decoding workers only fill a
// bounded prefetch queue and sleep when it is full, so with every core given to libtorch the one
// worker takes little from it.
#pragma once

namespace gramlite::train {

int available_cores();  // sched_getaffinity, else std::thread::hardware_concurrency, at least 1

struct TrainingThreads {
  int threads = 1;  // libtorch intra-op threads
  int workers = 1;  // image-decoding threads
};

// `threads` / `workers` <= 0: the defaults above; positive values are kept.
TrainingThreads resolve_training_threads(int threads, int workers);

}  // namespace gramlite::train
