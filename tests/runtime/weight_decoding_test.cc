// fp16 and dynamic-range (int8 weights, float activations) models: half_to_float exact for every
// one of the 65536 bit patterns (hand cases, an independent ldexp formula and, when importable,
// torch); a small conv net with fp16 or int8 per-channel weights gives exactly the outputs of the
// float net holding those weights' values, on every backend list, optimised or not.
#include "runtime/weight_decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "base/float16.h"
#include "gramlite/runtime/session.h"
#include "int8_test_util.h"

namespace gramlite::runtime {
namespace {

using testing::add_typed_constant;
using testing::make_test_node;
using testing::random_floats;
using K = ir::OpKind;

uint32_t bits_of(float f) {
  uint32_t b = 0;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

// The value of a half from its definition, in double: (-1)^s * 2^(e - 15) * (1 + m / 1024), or
// 2^-14 * (m / 1024) for e = 0.
double half_value(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double magnitude = e == 0 ? std::ldexp(static_cast<double>(m), -24) : std::ldexp(1024.0 + m, e - 25);
  return s != 0 ? -magnitude : magnitude;
}

TEST(HalfToFloat, HandCases) {
  EXPECT_EQ(bits_of(half_to_float(0x0000)), 0x00000000u);
  EXPECT_EQ(bits_of(half_to_float(0x8000)), 0x80000000u);  // -0 keeps its sign
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);                    // largest finite
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0f, -14));       // smallest normal
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));       // smallest subnormal
  EXPECT_EQ(half_to_float(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x03ff), std::ldexp(1023.0f, -24));    // largest subnormal
  EXPECT_EQ(half_to_float(0x0200), std::ldexp(1.0f, -15));
  EXPECT_EQ(half_to_float(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(half_to_float(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7c01)));  // a signalling payload stays a NaN
  EXPECT_EQ(bits_of(half_to_float(0x7c01)), 0x7f802000u);
  EXPECT_EQ(bits_of(half_to_float(0xfe00)), 0xffc00000u);
}

TEST(HalfToFloat, EveryBitPatternMatchesTheDefinition) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = half_to_float(bits);
    if (((bits >> 10) & 0x1f) == 0x1f) {
      EXPECT_EQ(std::isnan(f), (bits & 0x3ff) != 0) << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), half_value(bits)) << h;
    ASSERT_EQ(std::signbit(f), (bits >> 15) != 0) << h;
  }
}

// torch's float16 -> float32 for all 65536 patterns, when /usr/bin/python3 has torch.
TEST(HalfToFloat, EveryBitPatternMatchesTorch) {
  const std::string out = ::testing::TempDir() + "gramlite_half_to_float.bin";
  const std::string command = std::string(GRAMLITE_TORCH_PYTHON) +
                              " -c \"import sys, torch; "
                              "h = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.float16); "
                              "open(sys.argv[1], 'wb').write(h.float().view(torch.int32).numpy().tobytes())\" " +
                              out + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "no torch at " << GRAMLITE_TORCH_PYTHON;
  std::ifstream file(out, std::ios::binary);
  std::vector<uint32_t> expected(65536);
  file.read(reinterpret_cast<char*>(expected.data()), static_cast<std::streamsize>(expected.size() * 4));
  ASSERT_TRUE(file.good());
  std::remove(out.c_str());
  size_t nan_patterns = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint32_t actual = bits_of(half_to_float(static_cast<uint16_t>(h)));
    if ((actual & 0x7fffffffu) > 0x7f800000u) {  // NaN: torch may quiet it; both must be NaN
      ++nan_patterns;
      EXPECT_GT(expected[h] & 0x7fffffffu, 0x7f800000u) << h;
      continue;
    }
    ASSERT_EQ(actual, expected[h]) << "half 0x" << std::hex << h;
  }
  EXPECT_EQ(nan_patterns, 2u * 1023u);
}

// x -> Conv2d 3x3 (weight W1, bias B1) -> BatchNorm -> Relu -> Conv2d 1x1 (W2) -> GlobalAvgPool
//   -> Flatten -> Linear (W3, B3) -> logits, with the weights as `make_weight` stores them.
template <typename MakeWeight>
std::shared_ptr<ir::Graph> small_net(MakeWeight make_weight) {
  auto g = std::make_shared<ir::Graph>();
  const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 3, 7, 7});
  g->inputs = {x};
  auto value = [&](const std::string& name) { return g->add_value(name); };
  auto floats = [&](const std::string& name, const ir::Shape& shape, uint32_t seed, float lo, float hi) {
    return g->add_float_constant(name, shape, random_floats(static_cast<size_t>(ir::element_count(shape)), seed, lo, hi));
  };
  ir::Conv2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.padding = {1, 1, 1, 1};
  const ir::TensorId c1 = value("c1");
  g->add_node(make_test_node("conv1", K::kConv2d, {x, make_weight(*g, "conv1.weight", ir::Shape{8, 3, 3, 3}, 1u),
                                                  make_weight(*g, "conv1.bias", ir::Shape{8}, 2u)},
                             c1, a));
  const ir::TensorId bn = value("bn");
  g->add_node(make_test_node("bn", K::kBatchNorm,
                             {c1, floats("bn.weight", {8}, 3, 0.5f, 1.5f), floats("bn.bias", {8}, 4, -0.2f, 0.2f),
                              floats("bn.mean", {8}, 5, -0.2f, 0.2f), floats("bn.var", {8}, 6, 0.5f, 2.0f)},
                             bn));
  const ir::TensorId r = value("r");
  g->add_node(make_test_node("relu", K::kRelu, {bn}, r));
  ir::Conv2dAttrs pw;
  const ir::TensorId c2 = value("c2");
  g->add_node(make_test_node("conv2", K::kConv2d, {r, make_weight(*g, "conv2.weight", ir::Shape{6, 8, 1, 1}, 7u)}, c2, pw));
  const ir::TensorId p = value("p");
  g->add_node(make_test_node("pool", K::kGlobalAvgPool, {c2}, p));
  const ir::TensorId f = value("f");
  g->add_node(make_test_node("flatten", K::kFlatten, {p}, f));
  const ir::TensorId y = value("logits");
  g->add_node(make_test_node("fc", K::kLinear, {f, make_weight(*g, "fc.weight", ir::Shape{4, 6}, 8u),
                                               make_weight(*g, "fc.bias", ir::Shape{4}, 9u)},
                             y));
  g->outputs = {y};
  return g;
}

// Random halves in about [-1, 1] (normal and a few subnormal), as bits.
std::vector<uint16_t> random_halves(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sign(0, 1), exponent(0, 14), mantissa(0, 1023);
  std::vector<uint16_t> halves(count);
  for (uint16_t& h : halves) {
    h = static_cast<uint16_t>((sign(rng) << 15) | (exponent(rng) << 10) | mantissa(rng));
  }
  return halves;
}

struct RunCase {
  std::vector<std::string> backends;
  bool optimize;
};
const RunCase kRunCases[] = {{{"portable", "reference"}, true},
                             {{"portable", "reference"}, false},
                             {{"reference"}, true},
                             {{"reference"}, false}};

std::vector<float> run(const std::shared_ptr<ir::Graph>& graph, const RunCase& c, const std::vector<float>& x) {
  SessionOptions options;
  options.backends = c.backends;
  options.optimize = c.optimize;
  auto session = Session::create(graph, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  const Status reshaped = (*session)->reshape(2);
  EXPECT_TRUE(reshaped.ok()) << reshaped.message();
  if (!reshaped.ok()) return {};
  for (const ir::Tensor& t : (*session)->graph().tensors) {
    EXPECT_TRUE(t.dtype == ir::DType::kFloat32) << t.name << " is still " << ir::dtype_name(t.dtype);
  }
  auto outputs = (*session)->run({x});
  EXPECT_TRUE(outputs.ok());
  return outputs.ok() ? (*outputs)[0] : std::vector<float>{};
}

TEST(WeightDecoding, Fp16WeightsRunAsTheirFloatValuesOnEveryBackend) {
  const auto fp16 = small_net([](ir::Graph& g, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    return add_typed_constant(g, name, shape, ir::DType::kFloat16,
                              random_halves(static_cast<size_t>(ir::element_count(shape)), seed), {});
  });
  const auto fp32 = small_net([](ir::Graph& g, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    std::vector<float> values;
    for (uint16_t h : random_halves(static_cast<size_t>(ir::element_count(shape)), seed)) {
      values.push_back(static_cast<float>(half_value(h)));
    }
    return g.add_float_constant(name, shape, values);
  });
  const std::vector<float> x = random_floats(2 * 3 * 7 * 7, 10);
  for (const RunCase& c : kRunCases) {
    const std::vector<float> expected = run(fp32, c, x);
    ASSERT_EQ(expected.size(), 8u);
    EXPECT_EQ(run(fp16, c, x), expected) << c.backends[0] << " optimize " << c.optimize;
  }
  // The caller's graph is not modified.
  EXPECT_EQ(fp16->tensor(*fp16->find_tensor("conv1.weight")).dtype, ir::DType::kFloat16);
}

TEST(WeightDecoding, DynamicInt8WeightsRunAsTheirDequantizedValuesOnEveryBackend) {
  // Weights int8 per output channel (per tensor for the Linear), biases float32.
  auto scales_of = [](const ir::Shape& shape, uint32_t seed) {
    return random_floats(static_cast<size_t>(shape[0]), seed + 100, 0.002f, 0.01f);
  };
  auto quant_of = [&](const ir::Shape& shape, uint32_t seed) {
    ir::QuantParams q;
    if (shape.size() == 4) {
      q.scales = scales_of(shape, seed);
      q.zero_points.assign(q.scales.size(), 0);
      q.axis = 0;
    } else {
      q = {{scales_of(shape, seed)[0]}, {0}, -1};
    }
    return q;
  };
  auto int8_values = [](const ir::Shape& shape, uint32_t seed) {
    std::mt19937 rng(seed);
    return testing::random_int8(static_cast<size_t>(ir::element_count(shape)), rng, -127, 127);
  };
  const auto dynamic = small_net([&](ir::Graph& g, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    if (shape.size() == 1) return testing::add_random_constant(g, name, shape, seed);
    return add_typed_constant(g, name, shape, ir::DType::kInt8, int8_values(shape, seed), quant_of(shape, seed));
  });
  const auto fp32 = small_net([&](ir::Graph& g, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    if (shape.size() == 1) return testing::add_random_constant(g, name, shape, seed);
    const std::vector<int8_t> q = int8_values(shape, seed);
    const ir::QuantParams params = quant_of(shape, seed);
    const size_t per_channel = q.size() / static_cast<size_t>(shape[0]);
    std::vector<float> values(q.size());
    for (size_t i = 0; i < q.size(); ++i) {
      values[i] = params.scales[params.per_channel() ? i / per_channel : 0] * static_cast<float>(q[i]);
    }
    return g.add_float_constant(name, shape, values);
  });
  const std::vector<float> x = random_floats(2 * 3 * 7 * 7, 11);
  for (const RunCase& c : kRunCases) {
    const std::vector<float> expected = run(fp32, c, x);
    ASSERT_EQ(expected.size(), 8u);
    EXPECT_EQ(run(dynamic, c, x), expected) << c.backends[0] << " optimize " << c.optimize;
  }
}

TEST(WeightDecoding, LeavesFullIntegerAndUnquantizedInt8Alone) {
  ir::Graph g;
  const ir::TensorId x = testing::add_int8_value(g, "x", {1, 2, 3, 3}, {0.1f, 0});
  const ir::TensorId w = add_typed_constant<int8_t>(g, "w", {2, 2, 1, 1}, ir::DType::kInt8, {1, 2, 3, 4},
                                                    {{0.1f, 0.2f}, {0, 0}, 0});
  const ir::TensorId y = testing::add_int8_value(g, "y", {1, 2, 3, 3}, {0.2f, 0});
  g.inputs = {x};
  g.add_node(make_test_node("conv", K::kConv2d, {x, w}, y));
  g.outputs = {y};
  EXPECT_FALSE(has_narrow_weights(g));  // an int8 conv reads it as int8
  // An int8 weight without parameters cannot be widened; the graph is invalid
  // (ir::validate_quantization) and the session names the tensor.
  auto f = small_net([](ir::Graph& graph, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    if (name != "conv2.weight") return testing::add_random_constant(graph, name, shape, seed);
    return add_typed_constant(graph, name, shape, ir::DType::kInt8,
                              std::vector<int8_t>(static_cast<size_t>(ir::element_count(shape)), 1), {});
  });
  EXPECT_FALSE(has_narrow_weights(*f));
  auto session = Session::create(f);
  const Status status = session.ok() ? (*session)->reshape(1) : session.status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("conv2.weight"), std::string::npos) << status.message();
  // Broken parameters are an error naming the tensor.
  auto broken = small_net([](ir::Graph& graph, const std::string& name, const ir::Shape& shape, uint32_t seed) {
    if (name != "fc.weight") return testing::add_random_constant(graph, name, shape, seed);
    return add_typed_constant(graph, name, shape, ir::DType::kInt8,
                              std::vector<int8_t>(static_cast<size_t>(ir::element_count(shape)), 1),
                              {{0.1f, 0.1f, 0.1f}, {0, 0, 0}, 0});
  });
  auto refused = Session::create(broken);
  EXPECT_FALSE(refused.ok());
  if (!refused.ok()) {
    EXPECT_NE(refused.status().message().find("fc.weight"), std::string::npos) << refused.status().message();
  }
}

}  // namespace
}  // namespace gramlite::runtime
