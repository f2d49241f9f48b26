// Deterministic weight initialisation for the zoo.
//
// The same seed must give the same weight bytes on every platform and compiler, so nothing here
// uses <random>'s distributions (std::normal_distribution is implementation-defined) or libm's
// transcendental functions (log/cos may differ in the last bit between C libraries). Everything is
// built from a PCG32 generator and IEEE basic arithmetic (+ - * / sqrt, which are exactly rounded);
// initializers.cc is compiled with -ffp-contract=off so that no compiler fuses a*b+c into an FMA.
//
// Each tensor draws from its own PCG32 stream selected by a hash of its name, so a tensor's values
// depend only on (seed, tensor name, init rule): adding a layer to an architecture does not change
// the weights of the others, and two layers of the same shape still get different weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gramlite/ir/tensor.h"

namespace gramlite::zoo {

// PCG32 (XSH-RR 64/32, O'Neill 2014, pcg-random.org): small, fast, statistically good and
// specified bit-exactly, which is all the zoo needs.
class Pcg32 {
 public:
  Pcg32(uint64_t seed, uint64_t stream);
  uint32_t next_u32();
  // Uniform in [0, 1) with 53 random bits.
  double next_double();

 private:
  uint64_t state_ = 0;
  uint64_t increment_ = 0;
};

// Natural logarithm from IEEE basic operations only (frexp + an atanh series); correct to about
// 1 ulp, identical on every IEEE-754 platform. x must be finite and > 0.
double portable_log(double x);

// 64-bit FNV-1a: a fixed, documented string hash (std::hash is implementation-defined).
uint64_t fnv1a_64(std::string_view text);

// Standard normal deviates by Marsaglia's polar method (needs only log and sqrt, no trig).
class NormalSampler {
 public:
  explicit NormalSampler(Pcg32& rng) : rng_(rng) {}
  double next();

 private:
  Pcg32& rng_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// One initialisation rule for one tensor.
struct InitSpec {
  enum class Kind { kConstant, kNormal, kUniform, kTruncatedNormal };
  Kind kind = Kind::kConstant;
  double a = 0.0;  // constant: value; normal: mean; uniform: low
  double b = 0.0;  // normal: stddev; uniform: high
  double low = 0.0;   // truncated normal: bounds in absolute values (like torch.nn.init.trunc_normal_)
  double high = 0.0;

  static InitSpec constant(double value);
  static InitSpec zeros() { return constant(0.0); }
  static InitSpec ones() { return constant(1.0); }
  static InitSpec normal(double mean, double stddev);
  static InitSpec uniform(double low, double high);
  static InitSpec truncated_normal(double mean, double stddev, double low, double high);

  // Whether filling draws random numbers (false for constants).
  bool is_random() const { return kind != Kind::kConstant; }
};

// Fan-in and fan-out as PyTorch computes them for a weight of shape [out, in, k...]:
// fan_in = in * receptive field, fan_out = out * receptive field (groups are not divided out).
struct Fans {
  double fan_in = 1.0;
  double fan_out = 1.0;
};
Fans weight_fans(const ir::Shape& weight_shape);

// torch.nn.init.kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, sqrt(2 / fan_out)).
InitSpec kaiming_normal_fan_out(const ir::Shape& weight_shape);
// PyTorch's default for nn.Linear / nn.Conv2d weights (kaiming_uniform_ with a = sqrt(5)) and biases:
// both reduce to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where fan_in comes from the weight's shape.
InitSpec torch_default_uniform(const ir::Shape& weight_shape);
// Keras' glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)). Keras computes the fans from
// its HWIO (or HW-C-multiplier for depthwise) kernel layout; the sum fan_in + fan_out is the same
// as from our OIHW shape, so the limit is identical.
InitSpec glorot_uniform(const ir::Shape& weight_shape);

// Fills `count` floats at `out` according to `spec`, drawing from the stream for (seed, name).
void fill(const InitSpec& spec, uint64_t seed, std::string_view tensor_name, float* out, size_t count);

// How a builder initialises the parameters it creates. Each rule receives the shape of the layer's
// weight (for a bias too: PyTorch derives the bias bound from the weight's fan-in).
struct InitPolicy {
  using Rule = InitSpec (*)(const ir::Shape& weight_shape);
  Rule conv_weight = kaiming_normal_fan_out;
  Rule conv_bias = nullptr;  // nullptr: zeros
  Rule linear_weight = nullptr;
  Rule linear_bias = nullptr;

  // torchvision MobileNetV2 / V3: kaiming_normal_(fan_out) convs, zero conv biases,
  // Linear weight N(0, 0.01), zero Linear bias.
  static InitPolicy torchvision_mobilenet();
  // torchvision ResNet: kaiming_normal_(fan_out, relu) convs; fc keeps nn.Linear's default init.
  static InitPolicy torchvision_resnet();
  // torchvision Inception3 (init_weights=True): trunc_normal_(std 0.1, a=-2, b=2) for conv and
  // Linear weights; the fc bias keeps nn.Linear's default init.
  static InitPolicy torchvision_inception();
  // Keras layers: glorot_uniform kernels (Conv2D, DepthwiseConv2D, Dense), zero biases.
  static InitPolicy keras();
};

}  // namespace gramlite::zoo
