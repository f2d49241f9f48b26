#include "zoo/inception_v3.h"

#include <string>

#include "zoo/arch_common.h"
#include "zoo/graph_builder.h"

namespace gramlite::zoo {
namespace {

constexpr float kBnEpsilon = 1e-3f;  // BasicConv2d: nn.BatchNorm2d(out, eps=0.001)

// BasicConv2d: conv (no bias) -> bn -> F.relu. The functional relu has no module name; it becomes
// "<prefix>.relu".
TensorId basic_conv(GraphBuilder& b, const std::string& prefix, TensorId x, const Conv& conv) {
  x = b.conv2d(prefix + ".conv", x, conv);
  x = b.batch_norm(prefix + ".bn", x, kBnEpsilon);
  return b.relu(prefix + ".relu", x);
}

// F.avg_pool2d(x, kernel_size=3, stride=1, padding=1): count_include_pad defaults to True.
TensorId same_avg_pool(GraphBuilder& b, const std::string& prefix, TensorId x) {
  return b.avg_pool(prefix + ".avg_pool2d", x, Pool(3).stride(1).padding(1).count_include_pad(true));
}

TensorId inception_a(GraphBuilder& b, const std::string& p, TensorId x, int64_t pool_features) {
  TensorId b1 = basic_conv(b, p + ".branch1x1", x, Conv(64, 1));
  TensorId b5 = basic_conv(b, p + ".branch5x5_1", x, Conv(48, 1));
  b5 = basic_conv(b, p + ".branch5x5_2", b5, Conv(64, 5).padding(2));
  TensorId b3 = basic_conv(b, p + ".branch3x3dbl_1", x, Conv(64, 1));
  b3 = basic_conv(b, p + ".branch3x3dbl_2", b3, Conv(96, 3).padding(1));
  b3 = basic_conv(b, p + ".branch3x3dbl_3", b3, Conv(96, 3).padding(1));
  TensorId bp = same_avg_pool(b, p, x);
  bp = basic_conv(b, p + ".branch_pool", bp, Conv(pool_features, 1));
  return b.concat(p + ".cat", {b1, b5, b3, bp}, 1);
}

TensorId inception_b(GraphBuilder& b, const std::string& p, TensorId x) {
  TensorId b3 = basic_conv(b, p + ".branch3x3", x, Conv(384, 3).stride(2));
  TensorId bd = basic_conv(b, p + ".branch3x3dbl_1", x, Conv(64, 1));
  bd = basic_conv(b, p + ".branch3x3dbl_2", bd, Conv(96, 3).padding(1));
  bd = basic_conv(b, p + ".branch3x3dbl_3", bd, Conv(96, 3).stride(2));
  TensorId bp = b.max_pool(p + ".max_pool2d", x, Pool(3).stride(2));
  return b.concat(p + ".cat", {b3, bd, bp}, 1);
}

// The factorised 7x7 convs: (1, 7) kernels pad (0, 3), (7, 1) kernels pad (3, 0).
Conv conv_1x7(int64_t out) { return Conv(out, 1).kernel(1, 7).padding(0, 3); }
Conv conv_7x1(int64_t out) { return Conv(out, 1).kernel(7, 1).padding(3, 0); }

TensorId inception_c(GraphBuilder& b, const std::string& p, TensorId x, int64_t c7) {
  TensorId b1 = basic_conv(b, p + ".branch1x1", x, Conv(192, 1));
  TensorId b7 = basic_conv(b, p + ".branch7x7_1", x, Conv(c7, 1));
  b7 = basic_conv(b, p + ".branch7x7_2", b7, conv_1x7(c7));
  b7 = basic_conv(b, p + ".branch7x7_3", b7, conv_7x1(192));
  TensorId bd = basic_conv(b, p + ".branch7x7dbl_1", x, Conv(c7, 1));
  bd = basic_conv(b, p + ".branch7x7dbl_2", bd, conv_7x1(c7));
  bd = basic_conv(b, p + ".branch7x7dbl_3", bd, conv_1x7(c7));
  bd = basic_conv(b, p + ".branch7x7dbl_4", bd, conv_7x1(c7));
  bd = basic_conv(b, p + ".branch7x7dbl_5", bd, conv_1x7(192));
  TensorId bp = same_avg_pool(b, p, x);
  bp = basic_conv(b, p + ".branch_pool", bp, Conv(192, 1));
  return b.concat(p + ".cat", {b1, b7, bd, bp}, 1);
}

TensorId inception_d(GraphBuilder& b, const std::string& p, TensorId x) {
  TensorId b3 = basic_conv(b, p + ".branch3x3_1", x, Conv(192, 1));
  b3 = basic_conv(b, p + ".branch3x3_2", b3, Conv(320, 3).stride(2));
  TensorId b7 = basic_conv(b, p + ".branch7x7x3_1", x, Conv(192, 1));
  b7 = basic_conv(b, p + ".branch7x7x3_2", b7, conv_1x7(192));
  b7 = basic_conv(b, p + ".branch7x7x3_3", b7, conv_7x1(192));
  b7 = basic_conv(b, p + ".branch7x7x3_4", b7, Conv(192, 3).stride(2));
  TensorId bp = b.max_pool(p + ".max_pool2d", x, Pool(3).stride(2));
  return b.concat(p + ".cat", {b3, b7, bp}, 1);
}

TensorId inception_e(GraphBuilder& b, const std::string& p, TensorId x) {
  const Conv conv_1x3 = Conv(384, 1).kernel(1, 3).padding(0, 1);
  const Conv conv_3x1 = Conv(384, 1).kernel(3, 1).padding(1, 0);
  TensorId b1 = basic_conv(b, p + ".branch1x1", x, Conv(320, 1));
  TensorId b3 = basic_conv(b, p + ".branch3x3_1", x, Conv(384, 1));
  TensorId b3a = basic_conv(b, p + ".branch3x3_2a", b3, conv_1x3);
  TensorId b3b = basic_conv(b, p + ".branch3x3_2b", b3, conv_3x1);
  b3 = b.concat(p + ".branch3x3_cat", {b3a, b3b}, 1);
  TensorId bd = basic_conv(b, p + ".branch3x3dbl_1", x, Conv(448, 1));
  bd = basic_conv(b, p + ".branch3x3dbl_2", bd, Conv(384, 3).padding(1));
  TensorId bda = basic_conv(b, p + ".branch3x3dbl_3a", bd, conv_1x3);
  TensorId bdb = basic_conv(b, p + ".branch3x3dbl_3b", bd, conv_3x1);
  bd = b.concat(p + ".branch3x3dbl_cat", {bda, bdb}, 1);
  TensorId bp = same_avg_pool(b, p, x);
  bp = basic_conv(b, p + ".branch_pool", bp, Conv(192, 1));
  return b.concat(p + ".cat", {b1, b3, bd, bp}, 1);
}

}  // namespace

const ArchInfo& inception_v3_info() {
  // 75 px is torchvision's documented minimum (Inception_V3_Weights meta "min_size"): below it a
  // stride-2 valid conv runs out of pixels.
  static const ArchInfo info{"inception_v3",
                             "Inception v3 (torchvision layout, no auxiliary classifier, transform_input=False)",
                             299,
                             75,
                             Family::kTorchvision,
                             false};
  return info;
}

Result<ir::Graph> build_inception_v3(const BuildOptions& options) {
  const ArchInfo& info = inception_v3_info();
  GRAMLITE_ASSIGN_OR_RETURN(const int size, resolve_options(info, options));

  GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_inception(), options.seed,
                 options.random_weights);
  TensorId x = b.input("input", 3, size, size);
  x = basic_conv(b, "Conv2d_1a_3x3", x, Conv(32, 3).stride(2));
  x = basic_conv(b, "Conv2d_2a_3x3", x, Conv(32, 3));
  x = basic_conv(b, "Conv2d_2b_3x3", x, Conv(64, 3).padding(1));
  x = b.max_pool("maxpool1", x, Pool(3).stride(2));
  x = basic_conv(b, "Conv2d_3b_1x1", x, Conv(80, 1));
  x = basic_conv(b, "Conv2d_4a_3x3", x, Conv(192, 3));
  x = b.max_pool("maxpool2", x, Pool(3).stride(2));
  x = inception_a(b, "Mixed_5b", x, 32);
  x = inception_a(b, "Mixed_5c", x, 64);
  x = inception_a(b, "Mixed_5d", x, 64);
  x = inception_b(b, "Mixed_6a", x);
  x = inception_c(b, "Mixed_6b", x, 128);
  x = inception_c(b, "Mixed_6c", x, 160);
  x = inception_c(b, "Mixed_6d", x, 160);
  x = inception_c(b, "Mixed_6e", x, 192);
  x = inception_d(b, "Mixed_7a", x);
  x = inception_e(b, "Mixed_7b", x);
  x = inception_e(b, "Mixed_7c", x);
  x = b.global_avg_pool("avgpool", x);
  x = b.dropout("dropout", x, 0.5f);
  x = b.flatten("flatten", x, 1);
  x = b.linear("fc", x, options.num_classes);
  return finish_classifier(b, x, info, options, size, false, "softmax");
}

}  // namespace gramlite::zoo
