// Helpers the channel pruning tests share: finding a group by name, running a graph on the
// reference backend, and the equivalence oracle.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/compress/channel_pruning.h"
#include "gramlite/runtime/session.h"
#include "test_graphs.h"

namespace gramlite::compress::testing {

inline const ChannelGroup* group_named(const ChannelGroups& groups, const std::string& name) {
  for (const ChannelGroup& g : groups.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

// Graph output 0 for `input` (batch `batch`) on the reference backend, the graph run as it is.
inline std::vector<float> run_reference(const ir::Graph& graph, const std::vector<float>& input, int64_t batch) {
  runtime::SessionOptions options;
  options.backends = {"reference"};
  options.optimize = false;
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph), options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  const Status reshaped = session.value()->reshape(batch);
  EXPECT_TRUE(reshaped.ok()) << reshaped.message();
  auto outputs = session.value()->run({input});
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  return outputs.ok() ? outputs.value()[0] : std::vector<float>{};
}

// A random input batch for the graph's (single) input.
inline std::vector<float> random_input(const ir::Graph& graph, int64_t batch, uint32_t seed) {
  ir::Shape shape = graph.tensor(graph.inputs[0]).shape;
  shape[0] = batch;
  return uniform(static_cast<size_t>(ir::element_count(shape)), -1.0f, 1.0f, seed);
}

// The equivalence oracle: the original graph with the plan's channels zeroed computes what the
// cut graph computes, on a few random inputs, within `tolerance` of the largest output. And the
// zeroing mattered (the original itself differs), so the comparison could have failed.
inline void expect_equivalent(const ir::Graph& graph, const ChannelGroups& groups, const ChannelPruningPlan& plan,
                              double tolerance = 1e-5, bool expect_change = true) {
  Result<PrunedGraph> pruned = apply_channel_pruning(graph, groups, plan);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  Result<ir::Graph> zeroed = zero_pruned_channels(graph, groups, plan);
  ASSERT_TRUE(zeroed.ok()) << zeroed.status().message();
  double changed = 0.0;
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    const std::vector<float> input = random_input(graph, 2, seed);
    const std::vector<float> expected = run_reference(*zeroed, input, 2);
    const std::vector<float> actual = run_reference(pruned->graph, input, 2);
    ASSERT_FALSE(expected.empty());
    EXPECT_LE(max_relative_difference(expected, actual), tolerance) << "seed " << seed;
    changed = std::max(changed, max_relative_difference(run_reference(graph, input, 2), expected));
  }
  if (expect_change) {
    EXPECT_GT(changed, 1e-4) << "zeroing the removed channels changed nothing: a vacuous test";
  }
}

}  // namespace gramlite::compress::testing
