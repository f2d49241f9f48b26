// SampleRng: the one random number generator of the dataset code.
//
// Determinism rule: every random choice made for a sample comes from a SampleRng derived from
// (seed, epoch, sample index) alone, so a sample's augmentation does not depend on which worker
// thread built it, in which order, or how many threads there are. The generator is splitmix64 and
// the distributions are written out here (not std::uniform_*_distribution, whose algorithms differ
// between standard libraries), so the same seed gives the same pixels on every platform.
#pragma once

#include <cstdint>

namespace gramlite::data {

class SampleRng {
 public:
  explicit SampleRng(uint64_t seed) : state_(seed) {}

  // The stream for one sample of one epoch. Shuffling uses sample_index = -1, a stream no sample
  // can collide with.
  static SampleRng for_sample(uint64_t seed, int64_t epoch, int64_t sample_index) {
    uint64_t h = mix(seed ^ 0x6a09e667f3bcc908ull);
    h = mix(h ^ static_cast<uint64_t>(epoch));
    h = mix(h ^ static_cast<uint64_t>(sample_index));
    return SampleRng(h);
  }

  uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ull;
    return mix(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n); n >= 1. The modulo bias (< n / 2^64) is irrelevant at these sizes.
  int64_t uniform_int(int64_t n) { return static_cast<int64_t>(next_u64() % static_cast<uint64_t>(n)); }
  // True with probability p (p <= 0: never, p >= 1: always). Always draws, so whether an
  // augmentation fires does not shift the draws of the ones after it.
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace gramlite::data
