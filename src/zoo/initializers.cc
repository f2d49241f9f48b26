#include "zoo/initializers.h"

#include <cassert>
#include <cmath>

namespace gramlite::zoo {
namespace {

// SplitMix64 finaliser (Steele, Lea, Flood 2014): spreads a seed's bits before it becomes PCG
// state, so that seeds 0, 1, 2, ... start far apart.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

constexpr double kLn2 = 0.693147180559945309417232121458176568;

}  // namespace

Pcg32::Pcg32(uint64_t seed, uint64_t stream) {
  // The reference pcg32_srandom_r sequence.
  increment_ = (stream << 1u) | 1u;
  state_ = 0;
  next_u32();
  state_ += seed;
  next_u32();
}

uint32_t Pcg32::next_u32() {
  const uint64_t old = state_;
  state_ = old * 6364136223846793005ULL + increment_;
  const auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

double Pcg32::next_double() {
  const uint64_t hi = next_u32();
  const uint64_t lo = next_u32();
  const uint64_t bits53 = ((hi << 32) | lo) >> 11;
  return static_cast<double>(bits53) * 0x1.0p-53;  // exact: a 53-bit integer times a power of two
}

double portable_log(double x) {
  assert(x > 0.0 && std::isfinite(x));
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp and the scaling by 2 are exact.
  int exponent = 0;
  double m = std::frexp(x, &exponent);  // m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --exponent;
  }
  // log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1), |s| <= 0.1716, so s^2 <=
  // 0.0295 and 13 terms reach well below double precision.
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double series = 0.0;
  for (int k = 12; k >= 0; --k) series = series * s2 + 1.0 / static_cast<double>(2 * k + 1);
  return 2.0 * s * series + static_cast<double>(exponent) * kLn2;
}

uint64_t fnv1a_64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

double NormalSampler::next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u = 0.0;
  double v = 0.0;
  double s = 0.0;
  do {
    u = 2.0 * rng_.next_double() - 1.0;
    v = 2.0 * rng_.next_double() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * portable_log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

InitSpec InitSpec::constant(double value) {
  InitSpec spec;
  spec.kind = Kind::kConstant;
  spec.a = value;
  return spec;
}

InitSpec InitSpec::normal(double mean, double stddev) {
  InitSpec spec;
  spec.kind = Kind::kNormal;
  spec.a = mean;
  spec.b = stddev;
  return spec;
}

InitSpec InitSpec::uniform(double low, double high) {
  InitSpec spec;
  spec.kind = Kind::kUniform;
  spec.a = low;
  spec.b = high;
  return spec;
}

InitSpec InitSpec::truncated_normal(double mean, double stddev, double low, double high) {
  InitSpec spec;
  spec.kind = Kind::kTruncatedNormal;
  spec.a = mean;
  spec.b = stddev;
  spec.low = low;
  spec.high = high;
  return spec;
}

Fans weight_fans(const ir::Shape& weight_shape) {
  Fans fans;
  if (weight_shape.size() < 2) {
    const double n = weight_shape.empty() ? 1.0 : static_cast<double>(weight_shape[0]);
    fans.fan_in = n;
    fans.fan_out = n;
    return fans;
  }
  double receptive = 1.0;
  for (size_t i = 2; i < weight_shape.size(); ++i) receptive *= static_cast<double>(weight_shape[i]);
  fans.fan_in = static_cast<double>(weight_shape[1]) * receptive;
  fans.fan_out = static_cast<double>(weight_shape[0]) * receptive;
  return fans;
}

InitSpec kaiming_normal_fan_out(const ir::Shape& weight_shape) {
  const Fans fans = weight_fans(weight_shape);
  return InitSpec::normal(0.0, std::sqrt(2.0) / std::sqrt(fans.fan_out));
}

InitSpec torch_default_uniform(const ir::Shape& weight_shape) {
  const double bound = 1.0 / std::sqrt(weight_fans(weight_shape).fan_in);
  return InitSpec::uniform(-bound, bound);
}

InitSpec glorot_uniform(const ir::Shape& weight_shape) {
  const Fans fans = weight_fans(weight_shape);
  const double limit = std::sqrt(6.0 / (fans.fan_in + fans.fan_out));
  return InitSpec::uniform(-limit, limit);
}

void fill(const InitSpec& spec, uint64_t seed, std::string_view tensor_name, float* out, size_t count) {
  if (!spec.is_random()) {
    const auto value = static_cast<float>(spec.a);
    for (size_t i = 0; i < count; ++i) out[i] = value;
    return;
  }
  Pcg32 rng(splitmix64(seed), fnv1a_64(tensor_name));
  switch (spec.kind) {
    case InitSpec::Kind::kUniform: {
      const double width = spec.b - spec.a;
      for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(spec.a + width * rng.next_double());
      return;
    }
    case InitSpec::Kind::kNormal: {
      NormalSampler normal(rng);
      for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(spec.a + spec.b * normal.next());
      return;
    }
    case InitSpec::Kind::kTruncatedNormal: {
      // Rejection: redraw values outside [low, high]. The zoo's bounds lie many standard deviations
      // out (Inception: +-20 sigma), so this almost never loops; a bound nearer than ~0.5 sigma
      // to the mean would make it slow, which no torchvision model uses.
      NormalSampler normal(rng);
      for (size_t i = 0; i < count; ++i) {
        double value = 0.0;
        do {
          value = spec.a + spec.b * normal.next();
        } while (value < spec.low || value > spec.high);
        out[i] = static_cast<float>(value);
      }
      return;
    }
    case InitSpec::Kind::kConstant:
      break;
  }
}

InitPolicy InitPolicy::torchvision_mobilenet() {
  InitPolicy policy;
  policy.conv_weight = kaiming_normal_fan_out;
  policy.conv_bias = nullptr;
  policy.linear_weight = [](const ir::Shape&) { return InitSpec::normal(0.0, 0.01); };
  policy.linear_bias = nullptr;
  return policy;
}

InitPolicy InitPolicy::torchvision_resnet() {
  InitPolicy policy;
  policy.conv_weight = kaiming_normal_fan_out;
  policy.conv_bias = torch_default_uniform;  // ResNet's convs have no bias; kept for completeness
  policy.linear_weight = torch_default_uniform;
  policy.linear_bias = torch_default_uniform;
  return policy;
}

InitPolicy InitPolicy::torchvision_inception() {
  InitPolicy policy;
  policy.conv_weight = [](const ir::Shape&) { return InitSpec::truncated_normal(0.0, 0.1, -2.0, 2.0); };
  policy.conv_bias = torch_default_uniform;  // Inception's convs have no bias
  policy.linear_weight = policy.conv_weight;
  policy.linear_bias = torch_default_uniform;
  return policy;
}

InitPolicy InitPolicy::keras() {
  InitPolicy policy;
  policy.conv_weight = glorot_uniform;
  policy.conv_bias = nullptr;
  policy.linear_weight = glorot_uniform;
  policy.linear_bias = nullptr;
  return policy;
}

}  // namespace gramlite::zoo
