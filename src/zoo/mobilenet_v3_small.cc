#include "zoo/mobilenet_v3_small.h"

#include <string>

#include "zoo/arch_common.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {
namespace {

// torchvision builds MobileNetV3 with partial(nn.BatchNorm2d, eps=0.001, momentum=0.01).
constexpr float kBnEpsilon = 1e-3f;

enum class Act { kRelu, kHardSwish, kNone };

// torchvision's InvertedResidualConfig rows for mobilenet_v3_small (paper Table 2), before the
// width multiplier: input, kernel, expanded, output, SE, activation, stride.
struct BlockConfig {
  int input;
  int kernel;
  int expanded;
  int output;
  bool squeeze_excite;
  Act act;
  int stride;
};

constexpr BlockConfig kBlocks[] = {
    {16, 3, 16, 16, true, Act::kRelu, 2},        {16, 3, 72, 24, false, Act::kRelu, 2},
    {24, 3, 88, 24, false, Act::kRelu, 1},       {24, 5, 96, 40, true, Act::kHardSwish, 2},
    {40, 5, 240, 40, true, Act::kHardSwish, 1},  {40, 5, 240, 40, true, Act::kHardSwish, 1},
    {40, 5, 120, 48, true, Act::kHardSwish, 1},  {48, 5, 144, 48, true, Act::kHardSwish, 1},
    {48, 5, 288, 96, true, Act::kHardSwish, 2},  {96, 5, 576, 96, true, Act::kHardSwish, 1},
    {96, 5, 576, 96, true, Act::kHardSwish, 1},
};
constexpr int kLastChannel = 1024;

TensorId activate(GraphBuilder& b, const std::string& name, TensorId x, Act act) {
  switch (act) {
    case Act::kRelu: return b.relu(name, x);
    case Act::kHardSwish: return b.hard_swish(name, x);
    case Act::kNone: break;
  }
  return x;
}

// Conv2dNormActivation: prefix.0 conv, prefix.1 bn, prefix.2 activation (absent for kNone).
TensorId conv_bn_act(GraphBuilder& b, const std::string& prefix, TensorId x, int64_t out, int32_t kernel,
                     int32_t stride, int32_t groups, Act act) {
  x = b.conv2d(prefix + ".0", x, Conv(out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups));
  x = b.batch_norm(prefix + ".1", x, kBnEpsilon);
  return activate(b, prefix + ".2", x, act);
}

// torchvision.ops.SqueezeExcitation with scale_activation=Hardsigmoid: the two "fc" layers are 1x1
// convs with bias; the scale multiplies the block's input channel-wise.
TensorId squeeze_excite(GraphBuilder& b, const std::string& prefix, TensorId x, int64_t squeeze) {
  const int64_t channels = b.channels(x);
  TensorId s = b.global_avg_pool(prefix + ".avgpool", x);
  s = b.conv2d(prefix + ".fc1", s, Conv(squeeze, 1).bias());
  s = b.relu(prefix + ".activation", s);
  s = b.conv2d(prefix + ".fc2", s, Conv(channels, 1).bias());
  s = b.hard_sigmoid(prefix + ".scale_activation", s);
  return b.mul(prefix + ".mul", x, s);
}

TensorId inverted_residual(GraphBuilder& b, const std::string& prefix, TensorId x, const BlockConfig& raw,
                           double width) {
  const int in = make_divisible(raw.input * width);
  const int expanded = make_divisible(raw.expanded * width);
  const int out = make_divisible(raw.output * width);
  TensorId y = x;
  int index = 0;
  auto next = [&]() { return prefix + ".block." + std::to_string(index++); };
  if (expanded != in) y = conv_bn_act(b, next(), y, expanded, 1, 1, 1, raw.act);
  y = conv_bn_act(b, next(), y, expanded, raw.kernel, raw.stride, expanded, raw.act);
  if (raw.squeeze_excite) y = squeeze_excite(b, next(), y, make_divisible(expanded / 4));
  y = conv_bn_act(b, next(), y, out, 1, 1, 1, Act::kNone);
  if (raw.stride == 1 && in == out) y = b.add(prefix + ".add", x, y);
  return y;
}

}  // namespace

const ArchInfo& mobilenet_v3_small_info() {
  static const ArchInfo info{"mobilenet_v3_small",
                             "MobileNetV3-Small (torchvision layout): SE blocks, hard-swish, width multiplier",
                             224,
                             32,
                             Family::kTorchvision,
                             true};
  return info;
}

Result<ir::Graph> build_mobilenet_v3_small(const BuildOptions& options) {
  const ArchInfo& info = mobilenet_v3_small_info();
  GRAMLITE_ASSIGN_OR_RETURN(const int size, resolve_options(info, options));
  const double width = options.alpha;

  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), options.seed,
                 options.random_weights);
  TensorId x = b.input("input", 3, size, size);

  int feature = 0;
  const int stem = make_divisible(kBlocks[0].input * width);
  x = conv_bn_act(b, "features." + std::to_string(feature++), x, stem, 3, 2, 1, Act::kHardSwish);
  for (const BlockConfig& block : kBlocks) {
    x = inverted_residual(b, "features." + std::to_string(feature++), x, block, width);
  }
  // The last conv is 6x the last block's (already rounded) width, not rounded again.
  const int64_t last_conv = 6 * b.channels(x);
  x = conv_bn_act(b, "features." + std::to_string(feature++), x, last_conv, 1, 1, 1, Act::kHardSwish);

  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x, 1);
  x = b.linear("classifier.0", x, make_divisible(kLastChannel * width));
  x = b.hard_swish("classifier.1", x);
  x = b.dropout("classifier.2", x, 0.2f);
  x = b.linear("classifier.3", x, options.num_classes);
  return finish_classifier(b, x, info, options, size, false, "softmax");
}

}  // namespace gramlite::zoo
