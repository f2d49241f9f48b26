// Shared helpers of the train tests: deterministic data, the reference runtime as oracle, and a
// small graph builder for hand-made graphs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/runtime/session.h"

namespace gramlite::train::testing {

inline std::vector<float> uniform(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

// Replaces a float32 constant's values.
inline void set_values(ir::Graph& graph, ir::TensorId id, const std::vector<float>& values) {
  ir::Tensor& t = graph.tensor(id);
  ASSERT_EQ(static_cast<int64_t>(values.size()), t.element_count()) << t.name;
  t.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
}

inline std::vector<float> values_of(const ir::Graph& graph, const std::string& name) {
  const ir::Tensor& t = graph.tensor(*graph.find_tensor(name));
  return std::vector<float>(t.data.as<float>(), t.data.as<float>() + t.element_count());
}

// Non-trivial batch-norm state: gamma in [0.5, 1.5], beta and running mean in [-0.2, 0.2],
// running var in [0.5, 1.5], different per node and channel, same for every run.
inline void randomise_batch_norms(ir::Graph& graph, uint32_t seed) {
  for (const ir::Node& node : graph.nodes) {
    if (node.kind != ir::OpKind::kBatchNorm) continue;
    const float low[] = {0.5f, -0.2f, -0.2f, 0.5f};
    const float high[] = {1.5f, 0.2f, 0.2f, 1.5f};
    for (size_t i = 1; i < 5; ++i) {
      const ir::TensorId id = node.inputs[i];
      set_values(graph, id, uniform(static_cast<size_t>(graph.tensor(id).element_count()), low[i - 1], high[i - 1],
                                    seed++));
    }
  }
}

inline std::vector<float> run_reference(const ir::Graph& graph, const std::vector<float>& input, int64_t batch) {
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph));
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  const Status prepared = (*session)->prepare(batch);
  EXPECT_TRUE(prepared.ok()) << prepared.message();
  auto outputs = (*session)->run({input});
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  if (!outputs.ok()) return {};
  return outputs.value()[0];
}

// max |a - b| / max |reference|: the error relative to the output's scale.
inline double relative_max_error(const std::vector<float>& actual, const std::vector<float>& reference) {
  EXPECT_EQ(actual.size(), reference.size());
  double diff = 0.0;
  double scale = 0.0;
  for (size_t i = 0; i < std::min(actual.size(), reference.size()); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(actual[i] - reference[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(reference[i])));
  }
  return diff / std::max(scale, 1e-30);
}

// A tiny graph builder: values get their shapes from ir::update_shapes at the end.
class TinyGraph {
 public:
  ir::Graph graph;

  ir::TensorId input(const std::string& name, ir::Shape shape) {
    const ir::TensorId id = graph.add_value(name, std::move(shape));
    graph.inputs.push_back(id);
    return id;
  }
  ir::TensorId constant(const std::string& name, ir::Shape shape, float low, float high) {
    const auto count = static_cast<size_t>(ir::element_count(shape));
    return graph.add_float_constant(name, shape, uniform(count, low, high, seed_++));
  }
  ir::TensorId node(const std::string& name, ir::OpKind kind, std::vector<ir::TensorId> inputs,
                    ir::Attributes attrs = {}, ir::Activation activation = ir::Activation::kNone) {
    const ir::TensorId out = graph.add_value(name + ":out");
    ir::Node n;
    n.name = name;
    n.kind = kind;
    n.inputs = std::move(inputs);
    n.outputs = {out};
    n.attrs = std::holds_alternative<std::monostate>(attrs) ? ir::default_attributes(kind) : std::move(attrs);
    n.fused_activation = activation;
    graph.add_node(std::move(n));
    return out;
  }
  ir::Graph finish(ir::TensorId output) {
    graph.outputs = {output};
    const Status status = ir::update_shapes(graph);
    EXPECT_TRUE(status.ok()) << status.message();
    return graph;
  }

 private:
  uint32_t seed_ = 1000;
};

}  // namespace gramlite::train::testing
