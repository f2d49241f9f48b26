#include "runtime/memory_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace gramlite::runtime {
namespace {

// Checks the invariants every plan must keep; returns the largest total size live at one step
// (a lower bound on any arena).
size_t check_plan(const std::vector<BufferRequest>& requests, const MemoryPlan& plan, size_t alignment) {
  EXPECT_EQ(plan.offsets.size(), requests.size());
  EXPECT_EQ(plan.arena_size % alignment, 0u);
  int last_step = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % alignment, 0u) << "request " << i;
    EXPECT_LE(plan.offsets[i] + requests[i].size, plan.arena_size) << "request " << i;
    last_step = std::max(last_step, requests[i].last_step);
    for (size_t j = i + 1; j < requests.size(); ++j) {
      if (requests[i].size == 0 || requests[j].size == 0 || !lifetimes_overlap(requests[i], requests[j])) continue;
      const bool disjoint = plan.offsets[i] + requests[i].size <= plan.offsets[j] ||
                            plan.offsets[j] + requests[j].size <= plan.offsets[i];
      EXPECT_TRUE(disjoint) << "requests " << i << " [" << plan.offsets[i] << ", +" << requests[i].size << ") and " << j
                            << " [" << plan.offsets[j] << ", +" << requests[j].size << ") are live together";
    }
  }
  size_t peak = 0;
  for (int step = 0; step <= last_step; ++step) {
    size_t live = 0;
    for (const BufferRequest& r : requests) {
      if (r.first_step <= step && step <= r.last_step) live += r.size;
    }
    peak = std::max(peak, live);
  }
  EXPECT_GE(plan.arena_size, peak);
  return peak;
}

// Lifetimes of the tensors of a random DAG: node s produces tensor s and reads 1-3 earlier tensors;
// the last few tensors are graph outputs and live to the end.
std::vector<BufferRequest> random_dag_requests(std::mt19937& rng, int nodes) {
  std::vector<BufferRequest> requests(static_cast<size_t>(nodes));
  std::uniform_int_distribution<size_t> size_dist(1, 100000);
  for (int s = 0; s < nodes; ++s) {
    requests[static_cast<size_t>(s)] = {size_dist(rng), s, s};
    if (s == 0) continue;
    const int inputs = std::uniform_int_distribution<int>(1, std::min(3, s))(rng);
    for (int k = 0; k < inputs; ++k) {
      // Mostly recent producers (like real networks), sometimes a long skip.
      const int back = std::uniform_int_distribution<int>(0, 9)(rng) < 8
                           ? std::uniform_int_distribution<int>(1, std::min(3, s))(rng)
                           : std::uniform_int_distribution<int>(1, s)(rng);
      BufferRequest& producer = requests[static_cast<size_t>(s - back)];
      producer.last_step = std::max(producer.last_step, s);
    }
  }
  const int outputs = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int k = 0; k < outputs && k < nodes; ++k) requests[static_cast<size_t>(nodes - 1 - k)].last_step = nodes;
  return requests;
}

TEST(MemoryPlanner, RandomDagsNeverOverlapLiveBuffers) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    const int nodes = std::uniform_int_distribution<int>(1, 60)(rng);
    std::vector<BufferRequest> requests = random_dag_requests(rng, nodes);
    // Add some per-step scratch requests, as kernels do.
    for (int s = 0; s < nodes; s += 3) requests.push_back({static_cast<size_t>(1000 + s * 37), s, s});
    const size_t alignment = trial % 2 == 0 ? kArenaAlignment : 16;
    const MemoryPlan plan = plan_memory(requests, alignment);
    SCOPED_TRACE(testing::Message() << "trial " << trial << ", " << nodes << " nodes");
    const size_t peak = check_plan(requests, plan, alignment);
    size_t total = 0;
    for (const BufferRequest& r : requests) total += r.size;
    EXPECT_LE(plan.arena_size, total + requests.size() * alignment);
    // Greedy-by-size is not optimal, but on such graphs it stays near the live peak.
    EXPECT_LE(plan.arena_size, peak * 2 + requests.size() * alignment);
  }
}

TEST(MemoryPlanner, ChainReusesTwoBuffers) {
  // x0 -> x1 -> ... -> x19: each tensor is read by the next step only.
  std::vector<BufferRequest> requests;
  const size_t size = 56 * 56 * 24 * sizeof(float);
  for (int s = 0; s < 20; ++s) requests.push_back({size, s, s + 1});
  const MemoryPlan plan = plan_memory(requests);
  check_plan(requests, plan, kArenaAlignment);
  EXPECT_EQ(plan.arena_size, 2 * size);  // size is a multiple of 64
  EXPECT_LT(plan.arena_size * 5, size * 20);
}

TEST(MemoryPlanner, BestFitPicksTheSmallestGap) {
  // Two long-lived buffers leave a gap between them; a short-lived big one sits elsewhere.
  std::vector<BufferRequest> requests = {
      {1024, 0, 10},  // A: lives throughout
      {4096, 0, 1},   // B: dies early, leaves a 4096 hole after A
      {1024, 0, 10},  // C
      {512, 2, 3},    // fits into B's hole
  };
  const MemoryPlan plan = plan_memory(requests);
  check_plan(requests, plan, kArenaAlignment);
  EXPECT_EQ(plan.arena_size, 4096 + 1024 + 1024);
}

TEST(MemoryPlanner, EmptyAndZeroSizedRequests) {
  EXPECT_EQ(plan_memory({}).arena_size, 0u);
  const MemoryPlan plan = plan_memory({{0, 0, 5}, {100, 0, 5}, {0, 1, 2}});
  EXPECT_EQ(plan.offsets[0], 0u);
  EXPECT_EQ(plan.arena_size, 128u);
}

TEST(MemoryPlanner, Deterministic) {
  std::mt19937 rng(7);
  const std::vector<BufferRequest> requests = random_dag_requests(rng, 40);
  const MemoryPlan a = plan_memory(requests);
  const MemoryPlan b = plan_memory(requests);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.arena_size, b.arena_size);
}

}  // namespace
}  // namespace gramlite::runtime
