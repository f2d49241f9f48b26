// End to end: every zoo model, quantized to int8 per channel, agrees with its float self.
//
// The models have random weights; their batch norms get real statistics (measured on the images,
// as training would leave them), so activations keep a trained network's scale through the depth
// instead of growing or vanishing, and calibration sees ranges like a real model's. The images
// are synthetic Gram-stain tiles when the data module is built, else smooth random blobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "gramlite/compress/calibration.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "test_graphs.h"
#include "zoo_images.h"

namespace gramlite::compress {
namespace {

struct Case {
  const char* arch;
  int size;
};

// Sets every BatchNorm's running mean and variance to its input's per-channel statistics on
// `images`, as training leaves them, in one pass: each batch norm first runs as the identity
// (gamma 1, beta 0, mean 0, var 1); the observer sees its output (= its input, scaled by
// 1/sqrt(1 + eps)), measures the statistics and overwrites that output in place with the
// properly normalised values before any later node reads it. (Writing through the observer's
// pointer is a test-only shortcut: the arena memory is the node's output, not yet read.) Gamma in
// [0.5, 1.5] and beta in [-0.2, 0.2] are drawn at random.
void set_batch_norm_statistics(ir::Graph& graph, const std::vector<float>& images, int64_t batch) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> gamma_dist(0.5f, 1.5f), beta_dist(-0.2f, 0.2f);
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
void fit_head(ir::Graph& graph, const std::vector<float>& images, int64_t batch) {
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
  {
    double lo = 1e30, hi = -1e30, sds = 0;
    for (size_t ch = 0; ch < sum.size(); ++ch) {
      const double mean = sum[ch] / count;
      lo = std::min(lo, mean);
      hi = std::max(hi, mean);
      sds += std::sqrt(std::max(sq[ch] / count - mean * mean, 0.0));
    }
    std::printf("head features: channel means in [%g, %g], mean sd %g = %.2f int8 steps\n", lo, hi, sds / sum.size(),
                sds / sum.size() / ((hi - lo) / 255));
  }
  ir::Node& node = graph.nodes[head];
  ir::Tensor& w = graph.tensor(node.inputs[1]);
  std::vector<float> weight = testing::values_of<float>(w);
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

std::vector<float> run_graph(const ir::Graph& graph, const std::vector<float>& images, int64_t batch) {
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph));
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  const Status reshaped = (*session)->reshape(batch);
  EXPECT_TRUE(reshaped.ok()) << reshaped.message();
  auto out = (*session)->run({images});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? (*out)[0] : std::vector<float>{};
}

class ZooInt8 : public ::testing::TestWithParam<Case> {};

TEST_P(ZooInt8, PerChannelAgreesWithFloat) {
  const Case c = GetParam();
  zoo::BuildOptions build;
  build.num_classes = 10;
  build.input_size = c.size;
  build.seed = 5;
  build.include_softmax = false;
  auto model = zoo::build(c.arch, build);
  ASSERT_TRUE(model.ok()) << model.status().message();
  constexpr int64_t kCalibration = 32;
  constexpr int64_t kTest = 64;
  const std::vector<float> calib = testing::zoo_images(model->metadata.preprocessing, c.size, kCalibration, 100);
  const std::vector<float> test = testing::zoo_images(model->metadata.preprocessing, c.size, kTest, 900);
  set_batch_norm_statistics(*model, calib, kCalibration);
  if (std::getenv("DEBUG_ZOO")) {
    const std::vector<float> o = run_graph(*model, test, kTest);
    double d = 0;
    for (size_t i = 0; i < 10; ++i) d += std::fabs(o[i] - o[10 + i]);
    std::printf("after BN: logit difference between image 0 and 1: %g\n", d);
  }
  if (std::getenv("DEBUG_ZOO")) {
    const std::vector<float> o = run_graph(*model, test, kTest);
    double d = 0;
    for (size_t i = 0; i < 10; ++i) d += std::fabs(o[i] - o[10 + i]);
    std::printf("before: logit difference between image 0 and 1: %g\n", d);
    const size_t per = static_cast<size_t>(3 * c.size * c.size);
    double din = 0;
    for (size_t i = 0; i < per; ++i) din += std::fabs(test[i] - test[per + i]);
    std::printf("input difference %g\n", din / per);
    runtime::SessionOptions so;
    so.optimize = false;
    if (std::getenv("DEBUG_REF")) so.backends = {"reference"};
    auto g = std::make_shared<const ir::Graph>(*model);
    so.node_observer = [&](const runtime::NodeOutput& out) {
      const auto* v = static_cast<const float*>(out.data);
      const size_t n = static_cast<size_t>(ir::element_count(*out.shape)) / 2;
      double dd = 0, mm = 0;
      for (size_t i = 0; i < n; ++i) { dd += std::fabs(v[i] - v[n + i]); mm += std::fabs(v[i]); }
      std::printf("  %s: mean|x| %g, mean|x0-x1| %g\n", g->nodes[out.node].name.c_str(), mm / n, dd / n);
    };
    auto sess = runtime::Session::create(g, so);
    (void)(*sess)->reshape(2);
    std::vector<float> two(test.begin(), test.begin() + 2 * per);
    (void)(*sess)->run({two});
  }
  fit_head(*model, calib, kCalibration);

  auto prepared = prepare_for_quantization(*model);
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  CalibrationSet set;
  set.image_shape = {3, c.size, c.size};
  const size_t per_image = static_cast<size_t>(3 * c.size * c.size);
  for (int64_t b = 0; b < kCalibration; b += 8) {
    set.batches.emplace_back(calib.begin() + static_cast<std::ptrdiff_t>(b * per_image),
                             calib.begin() + static_cast<std::ptrdiff_t>((b + 8) * per_image));
  }
  CalibrationOptions calibration;
  if (const char* observer = std::getenv("GRAMLITE_TEST_OBSERVER")) calibration.observer = *parse_observer(observer);
  auto ranges = calibrate(*prepared, set, calibration);
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  auto int8 = convert_to_int8(*prepared, *ranges, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  EXPECT_TRUE(float_nodes_in_int8_graph(*int8).empty()) << float_nodes_in_int8_graph(*int8).front();

  if (std::getenv("DEBUG_LAYERS")) {
    std::map<std::string, std::vector<float>> fl;
    runtime::SessionOptions so;
    so.optimize = false;
    auto pg = std::make_shared<const ir::Graph>(*prepared);
    so.node_observer = [&](const runtime::NodeOutput& out) {
      const auto* v = static_cast<const float*>(out.data);
      fl[pg->tensor(out.tensor).name].assign(v, v + ir::element_count(*out.shape));
    };
    auto s1 = runtime::Session::create(pg, so);
    (void)(*s1)->reshape(8);
    std::vector<float> eight(test.begin(), test.begin() + static_cast<std::ptrdiff_t>(8 * per_image));
    (void)(*s1)->run({eight});
    auto ig = std::make_shared<const ir::Graph>(*int8);
    runtime::SessionOptions so2;
    so2.optimize = false;
    so2.node_observer = [&](const runtime::NodeOutput& out) {
      const ir::Tensor& t = ig->tensor(out.tensor);
      if (out.dtype != ir::DType::kInt8 || !fl.count(t.name)) return;
      const auto* q = static_cast<const int8_t*>(out.data);
      const auto& f = fl[t.name];
      double se = 0, ss = 0;
      for (size_t i = 0; i < f.size(); ++i) {
        const double d = t.quant.scales[0] * (q[i] - t.quant.zero_points[0]);
        se += (d - f[i]) * (d - f[i]);
        ss += f[i] * f[i];
      }
      std::printf("  %-40s %-14s sqnr %.1f dB\n", t.name.c_str(), ir::op_kind_name(ig->nodes[out.node].kind), 10 * std::log10(ss / se));
    };
    auto s2 = runtime::Session::create(ig, so2);
    (void)(*s2)->reshape(8);
    (void)(*s2)->run({eight});
  }
  const std::vector<float> reference = run_graph(*model, test, kTest);
  const std::vector<float> quantized = run_graph(*int8, test, kTest);
  ASSERT_EQ(reference.size(), quantized.size());
  ASSERT_EQ(reference.size(), static_cast<size_t>(kTest * 10));
  int agree = 0;
  double dot = 0, na = 0, nb = 0;
  double min_cos = 1.0;
  for (int64_t i = 0; i < kTest; ++i) {
    const float* r = reference.data() + i * 10;
    const float* q = quantized.data() + i * 10;
    agree += std::max_element(r, r + 10) - r == std::max_element(q, q + 10) - q ? 1 : 0;
    double d = 0, a = 0, b = 0;
    for (int k = 0; k < 10; ++k) {
      d += static_cast<double>(r[k]) * q[k];
      a += static_cast<double>(r[k]) * r[k];
      b += static_cast<double>(q[k]) * q[k];
    }
    dot += d;
    na += a;
    nb += b;
    min_cos = std::min(min_cos, d / std::sqrt(a * b));
  }
  // The same, with each class's mean logit over the images removed: what tells the images apart
  // (a random head's bias can dominate the raw logits and make the raw cosine easy).
  double cdot = 0, cna = 0, cnb = 0;
  for (int k = 0; k < 10; ++k) {
    double mr = 0, mq = 0;
    for (int64_t i = 0; i < kTest; ++i) {
      mr += reference[static_cast<size_t>(i * 10 + k)];
      mq += quantized[static_cast<size_t>(i * 10 + k)];
    }
    mr /= kTest;
    mq /= kTest;
    for (int64_t i = 0; i < kTest; ++i) {
      const double a = reference[static_cast<size_t>(i * 10 + k)] - mr;
      const double b = quantized[static_cast<size_t>(i * 10 + k)] - mq;
      cdot += a * b;
      cna += a * a;
      cnb += b * b;
    }
  }
  std::vector<int> winners(10, 0);
  for (int64_t i = 0; i < kTest; ++i) {
    const float* r = reference.data() + i * 10;
    ++winners[static_cast<size_t>(std::max_element(r, r + 10) - r)];
  }
  const int classes_predicted = static_cast<int>(std::count_if(winners.begin(), winners.end(), [](int w) { return w > 0; }));
  const double agreement = static_cast<double>(agree) / kTest;
  const double cosine = dot / std::sqrt(na * nb);
  const double centered = cdot / std::sqrt(cna * cnb);
  std::printf("%s @%d: top-1 agreement %.4f, logit cosine %.5f (lowest per image %.5f, centred %.5f), %d classes "
              "predicted\n", c.arch, c.size, agreement, cosine, min_cos, centered, classes_predicted);
  EXPECT_GE(agreement, 0.98) << c.arch;
  EXPECT_GE(cosine, 0.99) << c.arch;
  EXPECT_GE(classes_predicted, 2) << c.arch << ": every image gets the same class; agreement would prove nothing";
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooInt8,
                         ::testing::Values(Case{"mobilenet_v1", 64}, Case{"mobilenet_v2", 64},
                                           Case{"mobilenet_v3_small", 64}, Case{"resnet50", 64},
                                           Case{"inception_v3", 75}),
                         [](const auto& test_case) { return std::string(test_case.param.arch); });

}  // namespace
}  // namespace gramlite::compress
