#include "test_models.h"

#include <cmath>
#include <cstring>

namespace gramlite::format::testing {
namespace {

using ir::DType;
using ir::OpKind;
using ir::TensorId;

// Deterministic, distinct bytes for each constant so that mixing up two tensors' data shows.
Buffer pattern_bytes(size_t size, uint8_t seed) {
  Buffer buffer = Buffer::allocate(size);
  for (size_t i = 0; i < size; ++i) buffer.mutable_data()[i] = static_cast<uint8_t>(seed + 31 * i);
  return buffer;
}

Buffer float_bytes(size_t count, float start) {
  Buffer buffer = Buffer::allocate(count * sizeof(float));
  for (size_t i = 0; i < count; ++i) buffer.mutable_as<float>()[i] = start + 0.125f * static_cast<float>(i);
  return buffer;
}

TensorId constant(ir::Graph& g, const std::string& name, ir::Shape shape, DType dtype, uint8_t seed) {
  const auto bytes = static_cast<size_t>(ir::element_count(shape)) * ir::dtype_size(dtype);
  if (dtype == DType::kFloat32) {
    return g.add_constant(name, shape, dtype, float_bytes(bytes / 4, static_cast<float>(seed) / 16.0f));
  }
  return g.add_constant(name, shape, dtype, pattern_bytes(bytes, seed));
}

TensorId add_node(ir::Graph& g, const std::string& name, OpKind kind, std::vector<TensorId> inputs,
                  ir::Shape out_shape, ir::Attributes attrs = {},
                  ir::Activation activation = ir::Activation::kNone) {
  const TensorId out = g.add_value(name, std::move(out_shape));
  ir::Node node;
  node.name = name;
  node.kind = kind;
  node.inputs = std::move(inputs);
  node.outputs = {out};
  node.attrs = std::move(attrs);
  node.fused_activation = activation;
  g.add_node(std::move(node));
  return out;
}

constexpr int64_t N = ir::kDynamicDim;

}  // namespace

ir::Graph make_every_op_graph() {
  static_assert(static_cast<int>(OpKind::kCount) == 21, "a new op kind: add it to make_every_op_graph");
  ir::Graph g;
  const TensorId x = g.add_value("input \xc3\xa9", {N, 3, 8, 8});  // a UTF-8 name survives too
  g.inputs = {x};

  ir::PadAttrs pad;
  pad.pads = {0, 0, 1, 1, 0, 0, 1, 1};
  pad.value = -0.0f;  // sign of zero must survive
  const TensorId padded = add_node(g, "pad", OpKind::kPad, {x}, {N, 3, 10, 10}, pad);

  ir::Conv2dAttrs conv1;
  conv1.kernel_h = 3;
  conv1.kernel_w = 3;
  conv1.stride_h = 2;
  conv1.stride_w = 2;
  conv1.dilation_h = 2;
  conv1.dilation_w = 1;
  conv1.padding = {1, 2, 3, 0};
  const TensorId w1 = constant(g, "conv1.weight", {8, 3, 3, 3}, DType::kFloat32, 1);
  const TensorId b1 = constant(g, "conv1.bias", {8}, DType::kFloat32, 2);
  const TensorId c1 =
      add_node(g, "conv1", OpKind::kConv2d, {padded, w1, b1}, {N, 8, 5, 5}, conv1, ir::Activation::kRelu6);

  const TensorId gamma = constant(g, "bn.weight", {8}, DType::kFloat32, 3);
  const TensorId beta = constant(g, "bn.bias", {8}, DType::kFloat32, 4);
  const TensorId mean = constant(g, "bn.running_mean", {8}, DType::kFloat32, 5);
  const TensorId var = constant(g, "bn.running_var", {8}, DType::kFloat32, 6);
  const TensorId bn = add_node(g, "bn", OpKind::kBatchNorm, {c1, gamma, beta, mean, var}, {N, 8, 5, 5},
                               ir::BatchNormAttrs{1e-3f}, ir::Activation::kHardSwish);
  const TensorId relu = add_node(g, "relu", OpKind::kRelu, {bn}, {N, 8, 5, 5});
  g.tensor(relu).quant = {{0.05f}, {-3}, -1};  // per-tensor activation quantization

  ir::Conv2dAttrs dw;
  dw.kernel_h = 3;
  dw.kernel_w = 3;
  dw.padding = {1, 1, 1, 1};
  dw.groups = 8;
  const TensorId w2 = constant(g, "dw.weight", {8, 1, 3, 3}, DType::kFloat32, 7);
  g.tensor(w2).sparsity = {ir::SparsityEncoding::kDense, {1, 4}, 0.5f};
  const TensorId c2 =
      add_node(g, "dw", OpKind::kConv2d, {relu, w2}, {N, 8, 5, 5}, dw, ir::Activation::kHardSigmoid);
  const TensorId r6 = add_node(g, "relu6", OpKind::kRelu6, {c2}, {N, 8, 5, 5});
  const TensorId hs = add_node(g, "hswish", OpKind::kHardSwish, {r6}, {N, 8, 5, 5});
  const TensorId hsig = add_node(g, "hsigmoid", OpKind::kHardSigmoid, {hs}, {N, 8, 5, 5});
  const TensorId sig = add_node(g, "sigmoid", OpKind::kSigmoid, {hsig}, {N, 8, 5, 5});
  const TensorId sum = add_node(g, "add", OpKind::kAdd, {sig, relu}, {N, 8, 5, 5}, {}, ir::Activation::kSigmoid);
  const TensorId scale = constant(g, "se.scale", {1, 8, 1, 1}, DType::kFloat32, 8);
  const TensorId prod = add_node(g, "mul", OpKind::kMul, {sum, scale}, {N, 8, 5, 5});

  ir::Pool2dAttrs maxpool;
  maxpool.kernel_h = 3;
  maxpool.kernel_w = 2;
  maxpool.stride_h = 2;
  maxpool.stride_w = 1;
  maxpool.padding = {1, 1, 1, 0};
  maxpool.ceil_mode = true;
  maxpool.count_include_pad = false;
  const TensorId mp = add_node(g, "maxpool", OpKind::kMaxPool, {prod}, {N, 8, 3, 5}, maxpool);
  ir::Pool2dAttrs avgpool;
  avgpool.kernel_h = 3;
  avgpool.kernel_w = 3;
  avgpool.stride_h = 2;
  avgpool.padding = {1, 1, 1, 1};
  const TensorId ap = add_node(g, "avgpool", OpKind::kAvgPool, {prod}, {N, 8, 3, 5}, avgpool);

  const TensorId cat = add_node(g, "concat", OpKind::kConcat, {mp, ap}, {N, 16, 3, 5}, ir::ConcatAttrs{-3});
  const TensorId gap = add_node(g, "gap", OpKind::kGlobalAvgPool, {cat}, {N, 16, 1, 1});
  const TensorId flat = add_node(g, "flatten", OpKind::kFlatten, {gap}, {N, 16}, ir::FlattenAttrs{-3});
  const TensorId wl = constant(g, "fc.weight", {4, 16}, DType::kFloat32, 9);
  const TensorId bl = constant(g, "fc.bias", {4}, DType::kFloat32, 10);
  const TensorId fc = add_node(g, "fc", OpKind::kLinear, {flat, wl, bl}, {N, 4}, {}, ir::Activation::kRelu);
  const TensorId drop = add_node(g, "dropout", OpKind::kDropout, {fc}, {N, 4}, ir::DropoutAttrs{0.25f});
  const TensorId reshaped =
      add_node(g, "reshape", OpKind::kReshape, {drop}, {N, 2, 2}, ir::ReshapeAttrs{{0, 2, -1}});
  const TensorId probs = add_node(g, "softmax", OpKind::kSoftmax, {reshaped}, {N, 2, 2}, ir::SoftmaxAttrs{1});
  const TensorId quantized = add_node(g, "quantize", OpKind::kQuantize, {probs}, {N, 2, 2});
  g.tensor(quantized).dtype = DType::kInt8;
  g.tensor(quantized).quant = {{1.0f / 255.0f}, {-128}, -1};
  const TensorId dequantized = add_node(g, "dequantize", OpKind::kDequantize, {quantized}, {N, 2, 2});
  g.outputs = {dequantized};

  // Constants no node reads, to cover every dtype, per-channel quantization and both compact
  // storage encodings of the file.
  const TensorId q = constant(g, "int8.weight", {4, 3}, DType::kInt8, 11);
  g.tensor(q).quant = {{0.5f, 0.25f, 0.125f, 1.0f}, {0, 0, 0, 0}, 0};
  const TensorId qb = constant(g, "int32.bias", {4}, DType::kInt32, 12);
  g.tensor(qb).quant = {{0.1f, 0.2f, 0.3f, 0.4f}, {}, 0};
  constant(g, "fp16.table", {3, 5}, DType::kFloat16, 13);
  constant(g, "int64.shape", {2}, DType::kInt64, 14);
  // Half zeros: stored bitmap-encoded (in memory every tensor is dense). Its non-zeros include a
  // -0.0f and a NaN with a payload, which must come back bit for bit.
  Buffer half_zero = float_bytes(256, 0.5f);
  for (size_t i = 0; i < 256; i += 2) half_zero.mutable_as<float>()[i] = 0.0f;
  half_zero.mutable_as<float>()[1] = -0.0f;
  const uint32_t nan_bits = 0x7FC01234u;
  std::memcpy(half_zero.mutable_data() + 3 * sizeof(float), &nan_bits, sizeof(nan_bits));
  const TensorId sparse = g.add_constant("bitmap.weight", {16, 16}, DType::kFloat32, half_zero);
  g.tensor(sparse).sparsity = {ir::SparsityEncoding::kDense, {1, 4}, 0.875f};
  // Three non-zeros in 64: stored index-encoded.
  Buffer few = Buffer::allocate(64);
  few.mutable_data()[0] = 7;
  few.mutable_data()[40] = 0x80;
  few.mutable_data()[63] = 1;
  const TensorId indexed = g.add_constant("index.weight", {8, 8}, DType::kInt8, few);
  g.tensor(indexed).sparsity = {ir::SparsityEncoding::kDense, {2, 2}, 0.75f};
  // A constant with no elements (still a constant: its Buffer points somewhere), last, so that its
  // offset is the very end of the weights section.
  static const uint8_t kNothing = 0;
  g.add_constant("empty.table", {0, 4}, DType::kFloat32, Buffer::view(nullptr, &kNothing, 0));

  ir::ModelMetadata& m = g.metadata;
  m.name = "every op";
  m.architecture = "test_every_op";
  m.class_names = {"gram_positive", "gram_negative", ""};
  m.preprocessing.mean = {0.5f, 0.25f, -0.0f};
  m.preprocessing.std = {0.1f, 0.2f, 0.3f};
  m.preprocessing.resize = ir::ResizeMode::kShorterSideCrop;
  m.preprocessing.bgr = true;
  m.output_kind = ir::OutputKind::kProbabilities;
  m.extra = {{"producer", "format tests"}, {"seed", "7"}, {"empty", ""}};
  return g;
}

ir::Graph make_tiny_graph() {
  ir::Graph g;
  const TensorId x = g.add_value("x", {1, 2, 4, 4});
  g.inputs = {x};
  const TensorId w = constant(g, "w", {3, 2, 1, 1}, DType::kFloat32, 1);
  const TensorId b = constant(g, "b", {3}, DType::kFloat32, 2);
  ir::Conv2dAttrs conv;
  const TensorId c = add_node(g, "conv", OpKind::kConv2d, {x, w, b}, {1, 3, 4, 4}, conv, ir::Activation::kRelu);
  const TensorId gap = add_node(g, "gap", OpKind::kGlobalAvgPool, {c}, {1, 3, 1, 1});
  g.outputs = {add_node(g, "flatten", OpKind::kFlatten, {gap}, {1, 3}, ir::FlattenAttrs{1})};
  g.metadata.name = "tiny";
  g.metadata.class_names = {"a", "b", "c"};
  return g;
}

ir::Graph make_sparse_graph() {
  ir::Graph g;
  const TensorId x = g.add_value("x", {1, 8, 2, 2});
  g.inputs = {x};
  Buffer w1 = Buffer::allocate(16 * 8 * sizeof(float));
  for (size_t i = 0; i < 16 * 8; i += 4) w1.mutable_as<float>()[i] = 0.25f * static_cast<float>(i % 7) + 0.5f;
  const TensorId c1w = g.add_constant("conv1.weight", {16, 8, 1, 1}, DType::kFloat32, w1);
  g.tensor(c1w).sparsity = {ir::SparsityEncoding::kDense, {}, 0.75f};
  const TensorId a = add_node(g, "conv1", OpKind::kConv2d, {x, c1w}, {1, 16, 2, 2}, ir::Conv2dAttrs{});
  Buffer w2 = Buffer::allocate(32 * 16 * sizeof(float));
  w2.mutable_as<float>()[0] = 1.5f;  // then 510 zeros: a padding entry at 256
  w2.mutable_as<float>()[511] = -2.0f;
  const TensorId c2w = g.add_constant("conv2.weight", {32, 16, 1, 1}, DType::kFloat32, w2);
  const TensorId b = add_node(g, "conv2", OpKind::kConv2d, {a, c2w}, {1, 32, 2, 2}, ir::Conv2dAttrs{});
  g.outputs = {add_node(g, "flatten", OpKind::kFlatten, {b}, {1, 128}, ir::FlattenAttrs{1})};
  Buffer q1 = Buffer::allocate(35);  // 35 elements: the bitmap's last byte has unused bits
  for (size_t i = 0; i < 35; i += 3) q1.mutable_data()[i] = static_cast<uint8_t>(0x81 + i);
  g.tensor(g.add_constant("int8.bitmap", {5, 7}, DType::kInt8, q1)).quant = {{0.5f}, {}, -1};
  Buffer q2 = Buffer::allocate(40);
  q2.mutable_data()[3] = 0x7F;
  q2.mutable_data()[39] = 0x81;
  g.tensor(g.add_constant("int8.index", {5, 8}, DType::kInt8, q2)).quant = {{0.25f}, {}, -1};
  g.metadata.name = "sparse";
  return g;
}

}  // namespace gramlite::format::testing
