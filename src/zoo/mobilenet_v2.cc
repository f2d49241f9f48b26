#include "zoo/mobilenet_v2.h"

#include <algorithm>
#include <string>

#include "zoo/arch_common.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {
namespace {

constexpr float kBnEpsilon = 1e-5f;  // nn.BatchNorm2d default

struct Stage {
  int expand_ratio;  // t
  int channels;      // c
  int repeats;       // n
  int stride;        // s
};

// torchvision's inverted_residual_setting (paper Table 2).
constexpr Stage kStages[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

// torchvision's Conv2dNormActivation(..., activation_layer=nn.ReLU6): Sequential(conv, bn, relu6)
// named prefix.0, prefix.1, prefix.2; padding (k - 1) / 2.
TensorId conv_bn_relu6(GraphBuilder& b, const std::string& prefix, TensorId x, int64_t out, int32_t kernel,
                       int32_t stride, int32_t groups) {
  x = b.conv2d(prefix + ".0", x, Conv(out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups));
  x = b.batch_norm(prefix + ".1", x, kBnEpsilon);
  return b.relu6(prefix + ".2", x);
}

// InvertedResidual: [1x1 expand] -> 3x3 depthwise -> 1x1 linear projection, plus the identity when
// the block keeps stride and width.
TensorId inverted_residual(GraphBuilder& b, const std::string& prefix, TensorId x, int64_t out, int stride,
                           int expand_ratio) {
  const int64_t in = b.channels(x);
  // Python: int(round(inp * expand_ratio)); both integers, so the product is exact.
  const int64_t hidden = in * expand_ratio;
  TensorId y = x;
  int index = 0;
  if (expand_ratio != 1) {
    y = conv_bn_relu6(b, prefix + ".conv." + std::to_string(index++), y, hidden, 1, 1, 1);
  }
  y = conv_bn_relu6(b, prefix + ".conv." + std::to_string(index++), y, hidden, 3, stride,
                    static_cast<int32_t>(hidden));
  y = b.conv2d(prefix + ".conv." + std::to_string(index++), y, Conv(out, 1));
  y = b.batch_norm(prefix + ".conv." + std::to_string(index++), y, kBnEpsilon);
  if (stride == 1 && in == out) y = b.add(prefix + ".add", x, y);
  return y;
}

}  // namespace

const ArchInfo& mobilenet_v2_info() {
  static const ArchInfo info{"mobilenet_v2",
                             "MobileNetV2 (torchvision layout): inverted residuals, ReLU6, width multiplier",
                             224,
                             32,
                             Family::kTorchvision,
                             true};
  return info;
}

Result<ir::Graph> build_mobilenet_v2(const BuildOptions& options) {
  const ArchInfo& info = mobilenet_v2_info();
  GRAMLITE_ASSIGN_OR_RETURN(const int size, resolve_options(info, options));
  const double width = options.alpha;

  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), options.seed,
                 options.random_weights);
  TensorId x = b.input("input", 3, size, size);

  int feature = 0;
  x = conv_bn_relu6(b, "features." + std::to_string(feature++), x, make_divisible(32 * width), 3, 2, 1);
  for (const Stage& stage : kStages) {
    const int out = make_divisible(stage.channels * width);
    for (int i = 0; i < stage.repeats; ++i) {
      x = inverted_residual(b, "features." + std::to_string(feature++), x, out, i == 0 ? stage.stride : 1,
                            stage.expand_ratio);
    }
  }
  // The last conv widens with width_mult above 1 but never narrows below 1280.
  const int last_channel = make_divisible(1280 * std::max(1.0, width));
  x = conv_bn_relu6(b, "features." + std::to_string(feature++), x, last_channel, 1, 1, 1);

  x = b.global_avg_pool("avgpool", x);  // forward(): nn.functional.adaptive_avg_pool2d(x, (1, 1))
  x = b.flatten("flatten", x, 1);
  x = b.dropout("classifier.0", x, 0.2f);
  x = b.linear("classifier.1", x, options.num_classes);
  return finish_classifier(b, x, info, options, size, false, "softmax");
}

}  // namespace gramlite::zoo
