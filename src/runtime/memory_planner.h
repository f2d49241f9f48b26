// Memory planner: places every activation buffer of one prepared batch in a single arena.
//
// Each request has a byte size and a lifetime [first_step, last_step] in execution steps (node
// indices of the execution order): it is written at first_step and read for the last time at
// last_step. Two requests whose lifetimes overlap get disjoint byte ranges; requests whose
// lifetimes do not overlap may share bytes. The placement is the "greedy by size" strategy of
// TFLite's arena planner (Pisarchyk & Lee, "Efficient Memory Management for Deep Neural Net
// Inference", 2020): requests are taken from the largest down, and each goes into the smallest gap
// between already-placed, lifetime-overlapping buffers that fits it (best fit), or at the end.
//
// Offsets are multiples of `alignment` (64 bytes: a cache line, and enough for any SIMD load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gramlite::runtime {

struct BufferRequest {
  size_t size = 0;     // bytes; 0 takes no space (offset 0)
  int first_step = 0;  // inclusive
  int last_step = 0;   // inclusive; >= first_step
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, in request order
  size_t arena_size = 0;        // bytes; a multiple of the alignment
};

inline constexpr size_t kArenaAlignment = 64;

// Plans the requests. Deterministic: ties are broken by request index.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment = kArenaAlignment);

// Whether two requests are live at the same step.
inline bool lifetimes_overlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace gramlite::runtime
