#include "runtime/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace gramlite::runtime {
namespace {

size_t round_up(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment) {
  if (alignment == 0) alignment = 1;
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);

  // Largest first; equal sizes keep request order so the plan is deterministic.
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return requests[a].size > requests[b].size; });

  struct Placed {
    size_t offset;
    size_t end;  // offset + aligned size
    size_t request;
  };
  std::vector<Placed> placed;  // kept sorted by offset
  placed.reserve(requests.size());

  for (size_t index : order) {
    const BufferRequest& request = requests[index];
    if (request.size == 0) continue;
    const size_t size = round_up(request.size, alignment);

    // Walk the placed buffers that are live at the same time, in offset order, and find the
    // smallest gap that holds `size`.
    size_t best_offset = 0;
    size_t best_gap = SIZE_MAX;
    size_t cursor = 0;
    bool found = false;
    for (const Placed& other : placed) {
      if (!lifetimes_overlap(request, requests[other.request])) continue;
      if (other.offset > cursor) {
        const size_t gap = other.offset - cursor;
        if (gap >= size && gap < best_gap) {
          best_gap = gap;
          best_offset = cursor;
          found = true;
        }
      }
      cursor = std::max(cursor, other.end);
    }
    if (!found) best_offset = cursor;  // after the last overlapping buffer

    plan.offsets[index] = best_offset;
    const Placed entry{best_offset, best_offset + size, index};
    auto position = std::upper_bound(placed.begin(), placed.end(), entry,
                                     [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    placed.insert(position, entry);
    plan.arena_size = std::max(plan.arena_size, entry.end);
  }
  return plan;
}

}  // namespace gramlite::runtime
