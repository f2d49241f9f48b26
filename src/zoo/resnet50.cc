#include "zoo/resnet50.h"

#include <string>

#include "zoo/arch_common.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {
namespace {

constexpr float kBnEpsilon = 1e-5f;  // nn.BatchNorm2d default
constexpr int kExpansion = 4;        // Bottleneck.expansion

// torchvision's Bottleneck. Its single `relu` module runs three times; the IR needs one node per
// application, so the repeats get torch.fx-style suffixes: relu, relu_1, relu_2.
TensorId bottleneck(GraphBuilder& b, const std::string& prefix, TensorId x, int64_t planes, int32_t stride) {
  const int64_t out = planes * kExpansion;
  TensorId y = b.conv2d(prefix + ".conv1", x, Conv(planes, 1));
  y = b.batch_norm(prefix + ".bn1", y, kBnEpsilon);
  y = b.relu(prefix + ".relu", y);
  y = b.conv2d(prefix + ".conv2", y, Conv(planes, 3).stride(stride).padding(1));
  y = b.batch_norm(prefix + ".bn2", y, kBnEpsilon);
  y = b.relu(prefix + ".relu_1", y);
  y = b.conv2d(prefix + ".conv3", y, Conv(out, 1));
  y = b.batch_norm(prefix + ".bn3", y, kBnEpsilon);
  TensorId identity = x;
  if (stride != 1 || b.channels(x) != out) {
    identity = b.conv2d(prefix + ".downsample.0", x, Conv(out, 1).stride(stride));
    identity = b.batch_norm(prefix + ".downsample.1", identity, kBnEpsilon);
  }
  y = b.add(prefix + ".add", y, identity);
  return b.relu(prefix + ".relu_2", y);
}

}  // namespace

const ArchInfo& resnet50_info() {
  static const ArchInfo info{"resnet50", "ResNet-50 v1.5 (torchvision layout): bottleneck residual blocks", 224, 32,
                             Family::kTorchvision, false};
  return info;
}

Result<ir::Graph> build_resnet50(const BuildOptions& options) {
  const ArchInfo& info = resnet50_info();
  GRAMLITE_ASSIGN_OR_RETURN(const int size, resolve_options(info, options));

  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_resnet(), options.seed, options.random_weights);
  TensorId x = b.input("input", 3, size, size);
  x = b.conv2d("conv1", x, Conv(64, 7).stride(2).padding(3));
  x = b.batch_norm("bn1", x, kBnEpsilon);
  x = b.relu("relu", x);
  x = b.max_pool("maxpool", x, Pool(3).stride(2).padding(1));

  struct Layer {
    int planes;
    int blocks;
    int stride;
  };
  constexpr Layer kLayers[] = {{64, 3, 1}, {128, 4, 2}, {256, 6, 2}, {512, 3, 2}};
  for (int l = 0; l < 4; ++l) {
    const Layer& layer = kLayers[l];
    for (int i = 0; i < layer.blocks; ++i) {
      x = bottleneck(b, "layer" + std::to_string(l + 1) + "." + std::to_string(i), x, layer.planes,
                     i == 0 ? layer.stride : 1);
    }
  }
  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x, 1);
  x = b.linear("fc", x, options.num_classes);
  return finish_classifier(b, x, info, options, size, false, "softmax");
}

}  // namespace gramlite::zoo
