#include "gramlite/ir/quantization.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gramlite::ir {

AffineQuant choose_activation_quant(float min, float max) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) return {};
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  const double range = static_cast<double>(max) - static_cast<double>(min);
  if (!(range > 0.0)) return {};
  const double scale = range / static_cast<double>(kInt8Max - kInt8Min);
  // The zero point that puts `min` at -128, rounded: real 0 is then exactly representable.
  const double ideal = static_cast<double>(kInt8Min) - static_cast<double>(min) / scale;
  const auto zero_point = static_cast<int32_t>(std::clamp(std::nearbyint(ideal), double{kInt8Min}, double{kInt8Max}));
  const auto float_scale = static_cast<float>(scale);
  if (!(float_scale > 0.0f) || !std::isfinite(float_scale)) return {};
  return {float_scale, zero_point};
}

float choose_weight_scale(float max_abs, int bits) {
  const int levels = (1 << (std::clamp(bits, 2, 8) - 1)) - 1;
  if (!std::isfinite(max_abs) || !(max_abs > 0.0f)) return 1.0f;
  const float scale = max_abs / static_cast<float>(levels);
  return scale > 0.0f ? scale : std::numeric_limits<float>::min();
}

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  if (std::isnan(x)) return std::clamp(zero_point, qmin, qmax);
  // x / scale in float32, as ONNX's QuantizeLinear is defined on float tensors and computed by ONNX
  // Runtime (and TFLite): inputs that lie on a tie in real arithmetic (Keras' x / 127.5 - 1 on a
  // 2/255 scale puts every pixel there) then round the same way in both. nearbyint rounds ties
  // to even in the default rounding mode (the one a program starts with).
  const double q = static_cast<double>(std::nearbyint(x / scale)) + zero_point;
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(qmin), static_cast<double>(qmax)));
}

FixedPointMultiplier quantize_multiplier(double real_multiplier) {
  if (!(real_multiplier > 0.0) || !std::isfinite(real_multiplier)) return {};
  int exponent = 0;
  const double fraction = std::frexp(real_multiplier, &exponent);  // in [0.5, 1)
  auto q = static_cast<int64_t>(std::llround(fraction * static_cast<double>(1LL << 31)));
  if (q == (1LL << 31)) {  // rounding carried into the next power of two
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return {};
  if (exponent > 30) return {std::numeric_limits<int32_t>::max(), 30};  // saturates anyway
  return {static_cast<int32_t>(q), exponent};
}


int32_t multiply_by_fixed_point(int32_t value, FixedPointMultiplier m) {
  if (m.multiplier == 0) return 0;
  // One rounding of the exact product (|value * multiplier| < 2^62), as ONNX's QuantizeLinear
  // rounds: gemmlowp's high multiply followed by a rounding shift rounds twice, and in a MobileNet
  // the rare one-LSB differences that causes in each layer grow through the depthwise layers.
  const int64_t product = static_cast<int64_t>(value) * m.multiplier;
  const int right = 31 - std::min<int32_t>(m.shift, 30);  // >= 1
  if (right > 62) return 0;  // |product| / 2^right < 1/2
  const int64_t one = int64_t{1} << right;
  const int64_t floor = product >= 0 ? product / one : -((-product + one - 1) / one);
  const int64_t rest = product - floor * one;  // in [0, one)
  const int64_t half = one / 2;
  const int64_t rounded = floor + ((rest > half || (rest == half && (floor & 1) != 0)) ? 1 : 0);
  return static_cast<int32_t>(
      std::clamp<int64_t>(rounded, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
}

Int8Clamp clamp_for_relu(const AffineQuant& out) {
  return {std::clamp(quantize_value(0.0f, out.scale, out.zero_point), kInt8Min, kInt8Max), kInt8Max};
}

Int8Clamp clamp_for_relu6(const AffineQuant& out) {
  return {std::clamp(quantize_value(0.0f, out.scale, out.zero_point), kInt8Min, kInt8Max),
          quantize_value(6.0f, out.scale, out.zero_point)};
}

}  // namespace gramlite::ir
