// Helpers for the equalization, bias-correction and sensitivity tests: zoo models with random
// weights whose batch norms carry statistics measured on images (as a trained network's do, so
// that folded weights have the uneven per-channel ranges real models have), synthetic images, and
// running a graph over a set.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/compress/calibration.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/ir/graph.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "test_graphs.h"

namespace gramlite::compress::testing {

// Smooth random images (a few random waves per channel plus a little noise), about zero mean and
// unit variance per channel like normalised photographs; the same seed gives the same images.
inline CalibrationSet synthetic_images(int64_t channels, int64_t size, int64_t count, int64_t batch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  CalibrationSet set;
  set.image_shape = {channels, size, size};
  const int64_t per_image = channels * size * size;
  for (int64_t first = 0; first < count; first += batch) {
    const int64_t n = std::min(batch, count - first);
    std::vector<float> data(static_cast<size_t>(n * per_image));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t c = 0; c < channels; ++c) {
        float fx[3], fy[3], phase[3], amp[3];
        for (int w = 0; w < 3; ++w) {
          fx[w] = 6.0f * uniform(rng) / static_cast<float>(size);
          fy[w] = 6.0f * uniform(rng) / static_cast<float>(size);
          phase[w] = 6.28f * uniform(rng);
          amp[w] = 0.5f + uniform(rng);
        }
        const float offset = 0.5f * normal(rng);
        for (int64_t y = 0; y < size; ++y) {
          for (int64_t x = 0; x < size; ++x) {
            float v = offset + 0.2f * normal(rng);
            for (int w = 0; w < 3; ++w) v += amp[w] * std::sin(6.28f * (fx[w] * x + fy[w] * y) + phase[w]);
            data[static_cast<size_t>(((i * channels + c) * size + y) * size + x)] = v;
          }
        }
      }
    }
    set.batches.push_back(std::move(data));
  }
  return set;
}

// Runs `graph` (as it is: optimize off) over every batch; returns output 0 of all images, in order.
inline std::vector<float> run_over(const ir::Graph& graph, const CalibrationSet& set) {
  runtime::SessionOptions options;
  options.optimize = false;
  auto session = runtime::Session::create(std::make_shared<ir::Graph>(graph), options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  int64_t per_image = 1;
  for (int64_t d : set.image_shape) per_image *= d;
  std::vector<float> all;
  for (const auto& batch : set.batches) {
    const Status reshaped = session.value()->reshape(static_cast<int64_t>(batch.size()) / per_image);
    EXPECT_TRUE(reshaped.ok()) << reshaped.message();
    auto out = session.value()->run({batch});
    EXPECT_TRUE(out.ok()) << out.status().message();
    if (!out.ok()) return {};
    all.insert(all.end(), out.value()[0].begin(), out.value()[0].end());
  }
  return all;
}

inline Buffer float_buffer(const std::vector<float>& v) { return Buffer::copy_of(v.data(), v.size() * sizeof(float)); }

// Node `n` of `graph` alone as a graph: its activation inputs (shapes known, dim 0 dynamic) are
// the graph inputs in input order, its constants copied, its outputs the graph outputs.
inline ir::Graph single_node_graph(const ir::Graph& graph, size_t n) {
  const ir::Node& node = graph.nodes[n];
  ir::Graph single;
  ir::Node copy = node;
  copy.inputs.clear();
  copy.outputs.clear();
  for (ir::TensorId id : node.inputs) {
    const ir::Tensor& t = graph.tensor(id);
    if (t.is_constant()) {
      copy.inputs.push_back(single.add_tensor(t));
      continue;
    }
    ir::Shape shape = t.shape;
    shape[0] = ir::kDynamicDim;
    copy.inputs.push_back(single.add_value(t.name, shape, t.dtype));
    single.inputs.push_back(copy.inputs.back());
  }
  for (ir::TensorId id : node.outputs) copy.outputs.push_back(single.add_value(graph.tensor(id).name));
  single.outputs = copy.outputs;
  single.add_node(copy);
  return single;
}

// Gives every BatchNorm of `graph` (not optimised) a random affine (gamma log-uniform in
// [0.3, 1.5], beta normal(0, 0.3): a normalised pre-activation then rarely passes 6, as in trained
// MobileNets, where replacing ReLU6 by ReLU hardly changes the function) and the running mean and variance its input has on `set`:
// the graph is run one node at a time so that each batch norm's statistics are measured with all
// earlier ones already set, as training would have left them.
inline void measure_batch_norm_statistics(ir::Graph& graph, const CalibrationSet& set, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> log_gamma(std::log(0.3f), std::log(1.5f));
  std::normal_distribution<float> beta(0.0f, 0.3f);
  ASSERT_TRUE(ir::update_shapes(graph).ok());
  std::vector<float> images;
  for (const auto& b : set.batches) images.insert(images.end(), b.begin(), b.end());
  const int64_t count = set.image_count();
  std::map<ir::TensorId, std::vector<float>> values;  // activations of all images
  values[graph.inputs.at(0)] = images;
  const std::vector<std::vector<int>> consumers = graph.consumers();
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    ir::Node& node = graph.nodes[n];
    if (node.kind == ir::OpKind::kBatchNorm) {
      const std::vector<float>& x = values.at(node.inputs[0]);
      const ir::Shape& shape = graph.tensor(node.inputs[0]).shape;
      const int64_t channels = shape[1];
      int64_t inner = 1;
      for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
      std::vector<float> gamma(static_cast<size_t>(channels)), bias(gamma.size()), mean(gamma.size()), var(gamma.size());
      for (int64_t c = 0; c < channels; ++c) {
        double s = 0.0, sq = 0.0;
        for (int64_t i = 0; i < count; ++i) {
          const float* row = x.data() + (i * channels + c) * inner;
          for (int64_t k = 0; k < inner; ++k) {
            s += row[k];
            sq += static_cast<double>(row[k]) * row[k];
          }
        }
        const double m = s / static_cast<double>(count * inner);
        mean[static_cast<size_t>(c)] = static_cast<float>(m);
        var[static_cast<size_t>(c)] = static_cast<float>(std::max(sq / static_cast<double>(count * inner) - m * m, 1e-6));
        gamma[static_cast<size_t>(c)] = std::exp(log_gamma(rng));
        bias[static_cast<size_t>(c)] = beta(rng);
      }
      graph.tensor(node.inputs[1]).data = float_buffer(gamma);
      graph.tensor(node.inputs[2]).data = float_buffer(bias);
      graph.tensor(node.inputs[3]).data = float_buffer(mean);
      graph.tensor(node.inputs[4]).data = float_buffer(var);
    }
    // This node alone as a graph: its activation inputs become graph inputs.
    const ir::Graph single = single_node_graph(graph, n);
    std::vector<std::vector<float>> inputs;
    for (ir::TensorId id : node.inputs) {
      if (!graph.tensor(id).is_constant()) inputs.push_back(values.at(id));
    }
    runtime::SessionOptions options;
    options.optimize = false;
    auto session = runtime::Session::create(std::make_shared<ir::Graph>(single), options);
    ASSERT_TRUE(session.ok()) << node.name << ": " << session.status().message();
    ASSERT_TRUE(session.value()->reshape(count).ok()) << node.name;
    auto out = session.value()->run(inputs);
    ASSERT_TRUE(out.ok()) << node.name << ": " << out.status().message();
    for (size_t o = 0; o < node.outputs.size(); ++o) values[node.outputs[o]] = std::move(out.value()[o]);
    // Drop the activations no later node reads.
    for (ir::TensorId id : node.inputs) {
      const auto& readers = consumers[static_cast<size_t>(id)];
      if (!readers.empty() && static_cast<size_t>(readers.back()) <= n && !graph.is_graph_output(id)) values.erase(id);
    }
  }
}

// A zoo model at its smallest input with random weights and measured batch-norm statistics,
// prepared for quantization (prepare_for_quantization: batch norm folded, activations fused).
inline ir::Graph prepared_zoo_model(const std::string& arch, uint32_t seed, int64_t statistics_images = 16) {
  auto info = zoo::find_architecture(arch);
  EXPECT_TRUE(info.ok());
  zoo::BuildOptions options;
  options.num_classes = 10;
  options.seed = seed;
  options.input_size = info.value().min_input_size;
  auto built = zoo::build(arch, options);
  EXPECT_TRUE(built.ok()) << built.status().message();
  ir::Graph graph = std::move(built).value();
  const CalibrationSet stats = synthetic_images(3, options.input_size, statistics_images, statistics_images, seed + 1000);
  measure_batch_norm_statistics(graph, stats, seed + 2000);
  auto prepared = prepare_for_quantization(graph);
  EXPECT_TRUE(prepared.ok()) << prepared.status().message();
  return prepared.ok() ? std::move(prepared).value() : graph;
}

inline int64_t input_size_of(const ir::Graph& graph) { return graph.tensor(graph.inputs.at(0)).shape.at(2); }

// 10 log10(sum a^2 / sum (a - b)^2).
inline double sqnr(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0, e = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    s += static_cast<double>(a[i]) * a[i];
    e += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  }
  return 10.0 * std::log10(s / e);
}

// Largest |w| of output channel `o` of a Conv2d / Linear, and of the weights reading input `i`.
inline std::vector<float> weights_of(const ir::Graph& g, const ir::Node& node) {
  const ir::Tensor& w = g.tensor(node.inputs[1]);
  return std::vector<float>(w.data.as<float>(), w.data.as<float>() + w.element_count());
}
inline float output_range(const ir::Graph& g, const ir::Node& node, int64_t o) {
  const ir::Shape& s = g.tensor(node.inputs[1]).shape;
  const int64_t per_out = ir::element_count(s) / s[0];
  const std::vector<float> w = weights_of(g, node);
  float r = 0.0f;
  for (int64_t k = 0; k < per_out; ++k) r = std::max(r, std::fabs(w[static_cast<size_t>(o * per_out + k)]));
  return r;
}
inline float input_range(const ir::Graph& g, const ir::Node& node, int64_t i) {
  const ir::Shape& s = g.tensor(node.inputs[1]).shape;
  const int64_t groups = node.kind == ir::OpKind::kConv2d ? node.attr<ir::Conv2dAttrs>().groups : 1;
  const int64_t kernel = s.size() == 4 ? s[2] * s[3] : 1;
  const int64_t in_per_group = s[1], out_per_group = s[0] / groups;
  const int64_t group = i / in_per_group, local = i % in_per_group;
  const std::vector<float> w = weights_of(g, node);
  float r = 0.0f;
  for (int64_t o = group * out_per_group; o < (group + 1) * out_per_group; ++o) {
    for (int64_t k = 0; k < kernel; ++k) {
      r = std::max(r, std::fabs(w[static_cast<size_t>((o * in_per_group + local) * kernel + k)]));
    }
  }
  return r;
}

// The largest |r1_i / r2_i - 1| over the channels of the pair first -> second.
inline double range_mismatch(const ir::Graph& g, const std::string& first, const std::string& second) {
  const ir::Node& a = g.nodes[static_cast<size_t>(*g.find_node(first))];
  const ir::Node& b = g.nodes[static_cast<size_t>(*g.find_node(second))];
  double worst = 0.0;
  for (int64_t i = 0; i < g.tensor(a.inputs[1]).shape[0]; ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(output_range(g, a, i)) / input_range(g, b, i) - 1.0));
  }
  return worst;
}

}  // namespace gramlite::compress::testing
