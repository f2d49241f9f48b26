#include "zoo/mobilenet_v1.h"

#include <string>

#include "zoo/arch_common.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {
namespace {

constexpr float kBnEpsilon = 1e-3f;  // keras BatchNormalization default
constexpr float kDropout = 1e-3f;    // MobileNet(dropout=1e-3)

// Keras' padding="same": total padding max((ceil(in / s) - 1) * s + k - in, 0), the odd pixel
// going to the bottom/right.
ir::Padding2d tf_same_padding(int64_t in, int32_t kernel, int32_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  int64_t total = (out - 1) * stride + kernel - in;
  if (total < 0) total = 0;
  const auto before = static_cast<int32_t>(total / 2);
  const auto after = static_cast<int32_t>(total - before);
  return ir::Padding2d{before, before, after, after};
}

// int(filters * alpha), as Keras computes it; zero or fewer filters is an error.
int scaled_filters(GraphBuilder& b, int filters, double alpha, const std::string& layer) {
  const auto scaled = static_cast<int>(filters * alpha);
  if (scaled < 1) {
    b.fail(invalid_argument("alpha ", alpha, " leaves layer '", layer, "' with ", scaled,
                            " filters (int(", filters, " * alpha))"));
  }
  return scaled;
}

// _depthwise_conv_block. A strided block is ZeroPadding2D(((0, 1), (0, 1))) + a "valid" depthwise
// conv in Keras; the IR conv carries that padding itself.
TensorId depthwise_block(GraphBuilder& b, TensorId x, int pointwise_filters, double alpha, int32_t stride,
                         int block_id) {
  const std::string id = std::to_string(block_id);
  const int filters = scaled_filters(b, pointwise_filters, alpha, "conv_pw_" + id);
  const ir::Padding2d padding = stride == 1 ? ir::Padding2d{1, 1, 1, 1} : ir::Padding2d{0, 0, 1, 1};
  const auto channels = static_cast<int32_t>(b.channels(x));
  x = b.conv2d("conv_dw_" + id, x, Conv(channels, 3).stride(stride).padding(padding).groups(channels).depthwise());
  x = b.batch_norm("conv_dw_" + id + "_bn", x, kBnEpsilon);
  x = b.relu6("conv_dw_" + id + "_relu", x);
  x = b.conv2d("conv_pw_" + id, x, Conv(filters, 1));
  x = b.batch_norm("conv_pw_" + id + "_bn", x, kBnEpsilon);
  return b.relu6("conv_pw_" + id + "_relu", x);
}

}  // namespace

const ArchInfo& mobilenet_v1_info() {
  // Keras refuses inputs below 32x32 for MobileNet.
  static const ArchInfo info{"mobilenet_v1",
                             "MobileNet v1 (keras.applications layout and names): depthwise separable, ReLU6, alpha",
                             224,
                             32,
                             Family::kKeras,
                             true};
  return info;
}

Result<ir::Graph> build_mobilenet_v1(const BuildOptions& options) {
  const ArchInfo& info = mobilenet_v1_info();
  GRAMLITE_ASSIGN_OR_RETURN(const int size, resolve_options(info, options));
  const double alpha = options.alpha;

  GraphBuilder b(ParamNaming::kKeras, InitPolicy::keras(), options.seed, options.random_weights);
  TensorId x = b.input("input_1", 3, size, size);

  // _conv_block: Conv2D(padding="same", strides=2). "same" is (0, 1) padding for even sizes and
  // (1, 1) for odd ones, so it is computed from the input size.
  const int stem = scaled_filters(b, 32, alpha, "conv1");
  x = b.conv2d("conv1", x, Conv(stem, 3).stride(2).padding(tf_same_padding(size, 3, 2)));
  x = b.batch_norm("conv1_bn", x, kBnEpsilon);
  x = b.relu6("conv1_relu", x);

  struct Block {
    int filters;
    int stride;
  };
  constexpr Block kBlocks[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                               {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int block_id = 1;
  for (const Block& block : kBlocks) x = depthwise_block(b, x, block.filters, alpha, block.stride, block_id++);

  // The include_top head: GAP(keepdims) -> Dropout -> 1x1 Conv2D "conv_preds" with bias ->
  // Reshape((classes,)) -> Activation(softmax) "predictions".
  x = b.global_avg_pool("global_average_pooling2d", x);
  x = b.dropout("dropout", x, kDropout);
  x = b.conv2d("conv_preds", x, Conv(options.num_classes, 1).bias());
  x = b.reshape("reshape_2", x, {0, options.num_classes});
  return finish_classifier(b, x, info, options, size, true, "predictions");
}

}  // namespace gramlite::zoo
