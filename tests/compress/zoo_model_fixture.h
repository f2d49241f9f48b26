// Zoo models made to behave like trained ones for the end-to-end tests: batch norms with the
// statistics of the images (as training leaves them) and a head fitted to its features.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/runtime/session.h"
#include "test_graphs.h"

namespace gramlite::compress::testing {

// Sets every BatchNorm's running mean and variance to its input's per-channel statistics on
// `images`, as training leaves them, in one pass: each batch norm first runs as the identity
// (gamma 1, beta 0, mean 0, var 1); the observer sees its output (= its input, scaled by
// 1/sqrt(1 + eps)), measures the statistics and overwrites that output in place with the
// properly normalised values before any later node reads it. (Writing through the observer's
// pointer is a test-only shortcut: the arena memory is the node's output, not yet read.) Gamma in
// [0.5, 1.5] and beta in [1, 2] are drawn at random. (With beta around 0 half of every ReLU's
// inputs are cut and the random network is chaotic: one int8 step of noise on its input alone
// flips the float model's own top-1 on 38-63 % of the images, measured here; with beta in [1, 2]
// most units work in their linear range, as a trained network's mostly do.)
inline void set_batch_norm_statistics(ir::Graph& graph, const std::vector<float>& images, int64_t batch) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> gamma_dist(0.5f, 1.5f), beta_dist(1.0f, 2.0f);
  struct Bn {
    std::vector<float> gamma, beta, mean, var;
    float epsilon = 1e-5f;
    size_t node = 0;
  };
  std::map<ir::TensorId, Bn> bns;  // by output tensor
  const auto set = [&graph](ir::TensorId id, const std::vector<float>& v) {
    graph.tensor(id).data = Buffer::copy_of(v.data(), v.size() * sizeof(float));
  };
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (node.kind != ir::OpKind::kBatchNorm) continue;
    ASSERT_EQ(node.fused_activation, ir::Activation::kNone);
    const auto c = static_cast<size_t>(graph.tensor(node.inputs[1]).element_count());
    Bn bn;
    bn.node = n;
    bn.epsilon = node.attr<ir::BatchNormAttrs>().epsilon;
    for (size_t i = 0; i < c; ++i) {
      bn.gamma.push_back(gamma_dist(rng));
      bn.beta.push_back(beta_dist(rng));
    }
    set(node.inputs[1], std::vector<float>(c, 1.0f));
    set(node.inputs[2], std::vector<float>(c, 0.0f));
    set(node.inputs[3], std::vector<float>(c, 0.0f));
    set(node.inputs[4], std::vector<float>(c, 1.0f));
    bns[node.outputs[0]] = std::move(bn);
  }
  runtime::SessionOptions options;
  options.optimize = false;
  options.backends = {"reference"};  // plain loops: each node writes its own output buffer
  options.node_observer = [&](const runtime::NodeOutput& out) {
    const auto found = bns.find(out.tensor);
    if (found == bns.end()) return;
    Bn& bn = found->second;
    const ir::Shape& s = *out.shape;
    const auto c = static_cast<size_t>(s[1]);
    const size_t inner = static_cast<size_t>(ir::element_count(s)) / (static_cast<size_t>(s[0]) * c);
    auto* v = static_cast<float*>(const_cast<void*>(out.data));
    const float identity_scale = 1.0f / std::sqrt(1.0f + bn.epsilon);
    bn.mean.assign(c, 0.0f);
    bn.var.assign(c, 0.0f);
    for (size_t ch = 0; ch < c; ++ch) {
      double sum = 0, sq = 0;
      for (int64_t n = 0; n < s[0]; ++n) {
        const float* p = v + (static_cast<size_t>(n) * c + ch) * inner;
        for (size_t i = 0; i < inner; ++i) {
          const double x = p[i] / identity_scale;
          sum += x;
          sq += x * x;
        }
      }
      const double count = static_cast<double>(s[0]) * static_cast<double>(inner);
      const double mean = sum / count;
      const double var = std::max(sq / count - mean * mean, 0.0);
      bn.mean[ch] = static_cast<float>(mean);
      bn.var[ch] = static_cast<float>(var);
      const double scale = bn.gamma[ch] / std::sqrt(var + bn.epsilon);
      for (int64_t n = 0; n < s[0]; ++n) {
        float* p = v + (static_cast<size_t>(n) * c + ch) * inner;
        for (size_t i = 0; i < inner; ++i) p[i] = static_cast<float>((p[i] / identity_scale - mean) * scale + bn.beta[ch]);
      }
    }
  };
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph), options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE((*session)->reshape(batch).ok());
  ASSERT_TRUE((*session)->run({images}).ok());
  for (const auto& [tensor, bn] : bns) {
    const ir::Node& node = graph.nodes[bn.node];
    ASSERT_EQ(bn.mean.size(), bn.gamma.size()) << node.name;
    set(node.inputs[1], bn.gamma);
    set(node.inputs[2], bn.beta);
    set(node.inputs[3], bn.mean);
    set(node.inputs[4], bn.var);
  }
}

// A random head on features that barely differ between similar tiles answers with its bias: every
// image gets the same class and the logits' image-dependent part is noise. Like training, this
// fits the head to the features it reads: each input channel of the last weight layer is
// standardised over the images (weights / std, bias -W mean), so the logits vary from image to
// image with a trained classifier's scale.
inline void fit_head(ir::Graph& graph, const std::vector<float>& images, int64_t batch) {
  size_t head = graph.nodes.size();
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].kind == ir::OpKind::kLinear || graph.nodes[n].kind == ir::OpKind::kConv2d) head = n;
  }
  ASSERT_LT(head, graph.nodes.size());
  const ir::TensorId features = graph.nodes[head].inputs[0];
  std::vector<double> sum, sq;
  double count = 0;
  runtime::SessionOptions options;
  options.optimize = false;
  options.node_observer = [&](const runtime::NodeOutput& out) {
    if (out.tensor != features) return;
    const ir::Shape& s = *out.shape;
    const auto c = static_cast<size_t>(s[1]);
    const size_t inner = static_cast<size_t>(ir::element_count(s)) / (static_cast<size_t>(s[0]) * c);
    sum.assign(c, 0.0);
    sq.assign(c, 0.0);
    const auto* v = static_cast<const float*>(out.data);
    for (int64_t n = 0; n < s[0]; ++n) {
      for (size_t ch = 0; ch < c; ++ch) {
        for (size_t i = 0; i < inner; ++i) {
          const double x = v[(static_cast<size_t>(n) * c + ch) * inner + i];
          sum[ch] += x;
          sq[ch] += x * x;
        }
      }
    }
    count = static_cast<double>(s[0]) * static_cast<double>(inner);
  };
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph), options);
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE((*session)->reshape(batch).ok());
  ASSERT_TRUE((*session)->run({images}).ok());
  ASSERT_FALSE(sum.empty());
  ir::Node& node = graph.nodes[head];
  ir::Tensor& w = graph.tensor(node.inputs[1]);
  std::vector<float> weight = values_of<float>(w);
  const auto outputs = static_cast<size_t>(w.shape[0]);
  const size_t per_output = weight.size() / outputs;
  const size_t taps = per_output / sum.size();  // kernel positions (1 for a 1x1 head)
  std::mt19937 rng(17);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> bias(outputs, 0.0f);
  for (size_t k = 0; k < outputs; ++k) {
    double b = 0;
    for (size_t i = 0; i < per_output; ++i) {
      const size_t ch = i / taps;
      const double mean = sum[ch] / count;
      const double sd = std::sqrt(std::max(sq[ch] / count - mean * mean, 1e-12));
      const double wk = normal(rng) / std::sqrt(static_cast<double>(sum.size())) / sd;
      weight[k * per_output + i] = static_cast<float>(wk);
      b -= wk * mean;
    }
    bias[k] = static_cast<float>(b);
  }
  w.data = Buffer::copy_of(weight.data(), weight.size() * sizeof(float));
  if (node.inputs.size() > 2) {
    graph.tensor(node.inputs[2]).data = Buffer::copy_of(bias.data(), bias.size() * sizeof(float));
  } else {
    node.inputs.push_back(graph.add_float_constant(node.name + ".bias", {static_cast<int64_t>(outputs)}, bias));
  }
}

}  // namespace gramlite::compress::testing
