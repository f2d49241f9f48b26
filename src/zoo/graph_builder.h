// GraphBuilder: writes an architecture as IR in the style of a framework's forward() method.
//
//   GraphBuilder b(ParamNaming::kTorchvision, InitPolicy::torchvision_mobilenet(), seed);
//   TensorId x = b.input("input", 3, 224, 224);
//   x = b.conv2d("features.0.0", x, Conv(32, 3).stride(2).padding(1));
//   x = b.batch_norm("features.0.1", x, 1e-5f);
//   x = b.relu6("features.0.2", x);
//   ...
//   b.mark_output(logits);
//   Result<ir::Graph> graph = b.finish(metadata);
//
// - Node names are the module / layer names of the original model; each node's single output
//   tensor carries the node's name; parameters are named the way the original framework names them
//   (torchvision state_dict keys "features.0.0.weight", Keras weights "conv1/kernel"), so weights
//   map by name in both directions.
// - Output shapes come from ir shape inference as each node is added; dim 0 (batch) stays dynamic.
// - Errors are sticky: after the first failure (a shape that does not fit, a duplicate name, an
//   allocation failure) every call is a no-op returning ir::kNoTensor, and finish() returns that
//   first error. Architecture code therefore reads straight through without checking each line.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"
#include "zoo/initializers.h"

namespace gramlite::zoo {

using ir::TensorId;

// How parameter tensors are named.
enum class ParamNaming {
  kTorchvision,  // "<module>.weight", ".bias", BatchNorm ".running_mean", ".running_var"
  kKeras,        // "<layer>/kernel", "/depthwise_kernel", "/bias", BatchNorm "/gamma", "/beta",
                 // "/moving_mean", "/moving_variance"
};

// A convolution's hyper-parameters, written fluently: Conv(64, 3).stride(2).padding(1).
class Conv {
 public:
  Conv(int64_t out_channels, int32_t kernel_size) : out_channels_(out_channels) { kernel(kernel_size, kernel_size); }

  Conv& kernel(int32_t h, int32_t w) {
    attrs_.kernel_h = h;
    attrs_.kernel_w = w;
    return *this;
  }
  Conv& stride(int32_t s) { return stride(s, s); }
  Conv& stride(int32_t h, int32_t w) {
    attrs_.stride_h = h;
    attrs_.stride_w = w;
    return *this;
  }
  // Symmetric padding (PyTorch's `padding=p` or `padding=(ph, pw)`).
  Conv& padding(int32_t p) { return padding(p, p); }
  Conv& padding(int32_t h, int32_t w) { return padding(ir::Padding2d{h, w, h, w}); }
  // Explicit four-sided padding, e.g. Keras' ZeroPadding2D(((0, 1), (0, 1))) before a valid conv.
  Conv& padding(const ir::Padding2d& p) {
    attrs_.padding = p;
    return *this;
  }
  Conv& groups(int32_t g) {
    attrs_.groups = g;
    return *this;
  }
  Conv& dilation(int32_t d) {
    attrs_.dilation_h = d;
    attrs_.dilation_w = d;
    return *this;
  }
  Conv& bias(bool has_bias = true) {
    bias_ = has_bias;
    return *this;
  }
  // Marks a depthwise layer (Keras names its weight depthwise_kernel) even when it has a single
  // channel, where groups == 1 makes it look like a plain conv.
  Conv& depthwise(bool on = true) {
    depthwise_ = on;
    return *this;
  }

  int64_t out_channels() const { return out_channels_; }
  const ir::Conv2dAttrs& attrs() const { return attrs_; }
  bool has_bias() const { return bias_; }
  bool is_depthwise() const { return depthwise_; }

 private:
  int64_t out_channels_;
  ir::Conv2dAttrs attrs_;
  bool bias_ = false;
  bool depthwise_ = false;
};

// A pooling window: Pool(3).stride(2).padding(1). Defaults follow PyTorch (stride = kernel,
// no padding, floor mode, padded zeros counted in averages).
class Pool {
 public:
  explicit Pool(int32_t kernel_size) {
    attrs_.kernel_h = attrs_.kernel_w = kernel_size;
    attrs_.stride_h = attrs_.stride_w = kernel_size;
  }
  Pool& stride(int32_t s) {
    attrs_.stride_h = attrs_.stride_w = s;
    return *this;
  }
  Pool& padding(int32_t p) { return padding(ir::Padding2d{p, p, p, p}); }
  Pool& padding(const ir::Padding2d& p) {
    attrs_.padding = p;
    return *this;
  }
  Pool& ceil_mode(bool on = true) {
    attrs_.ceil_mode = on;
    return *this;
  }
  Pool& count_include_pad(bool on) {
    attrs_.count_include_pad = on;
    return *this;
  }
  const ir::Pool2dAttrs& attrs() const { return attrs_; }

 private:
  ir::Pool2dAttrs attrs_;
};

class GraphBuilder {
 public:
  // `random_weights` false leaves the randomly initialised tensors zero (constants such as
  // batch-norm scales keep their values): for callers that will load real weights anyway and do
  // not want to pay for drawing ~25M random numbers.
  GraphBuilder(ParamNaming naming, InitPolicy init, uint64_t seed, bool random_weights = true);

  // A graph input [N, channels, height, width] with a dynamic batch dim.
  TensorId input(const std::string& name, int64_t channels, int64_t height, int64_t width);

  // Conv2d with a weight [out, in/groups, kh, kw] and an optional bias [out]. Under Keras naming a
  // depthwise conv (groups == in channels > 1) names its weight "depthwise_kernel".
  TensorId conv2d(const std::string& name, TensorId x, const Conv& conv);
  // BatchNorm over dim 1: weight 1, bias 0, running mean 0, running variance 1.
  TensorId batch_norm(const std::string& name, TensorId x, float epsilon);
  // Linear over the last dim: weight [out, in] and an optional bias [out]. (A Keras Dense kernel
  // is [in, out]; interop transposes it, the IR keeps one layout.)
  TensorId linear(const std::string& name, TensorId x, int64_t out_features, bool bias = true);

  TensorId relu(const std::string& name, TensorId x);
  TensorId relu6(const std::string& name, TensorId x);
  TensorId hard_swish(const std::string& name, TensorId x);
  TensorId hard_sigmoid(const std::string& name, TensorId x);
  TensorId sigmoid(const std::string& name, TensorId x);
  TensorId add(const std::string& name, TensorId a, TensorId b);
  TensorId mul(const std::string& name, TensorId a, TensorId b);
  TensorId concat(const std::string& name, const std::vector<TensorId>& parts, int32_t axis = 1);
  TensorId max_pool(const std::string& name, TensorId x, const Pool& pool);
  TensorId avg_pool(const std::string& name, TensorId x, const Pool& pool);
  // [N, C, H, W] -> [N, C, 1, 1] (PyTorch AdaptiveAvgPool2d(1), Keras GAP with keepdims).
  TensorId global_avg_pool(const std::string& name, TensorId x);
  TensorId flatten(const std::string& name, TensorId x, int32_t axis = 1);
  // ONNX semantics: 0 copies the input dim, one -1 is inferred.
  TensorId reshape(const std::string& name, TensorId x, std::vector<int64_t> shape);
  TensorId dropout(const std::string& name, TensorId x, float ratio);
  TensorId softmax(const std::string& name, TensorId x, int32_t axis = -1);
  // ONNX pads order [begin_0..begin_{r-1}, end_0..end_{r-1}], constant value.
  TensorId pad(const std::string& name, TensorId x, std::vector<int64_t> pads, float value = 0.0f);

  // Shape of a tensor made so far (empty after an error).
  const ir::Shape& shape(TensorId id) const;
  // Dim 1 of a tensor made so far (0 after an error).
  int64_t channels(TensorId id) const;

  void mark_output(TensorId id);
  // Records an error found by architecture code (e.g. a width multiplier that leaves a layer with
  // no channels); the first error wins.
  void fail(Status status);
  const Status& status() const { return status_; }

  // The finished graph with `metadata`, or the first error. The builder is spent afterwards.
  Result<ir::Graph> finish(ir::ModelMetadata metadata);

 private:
  TensorId add_node(const std::string& name, ir::OpKind kind, std::vector<TensorId> inputs, ir::Attributes attrs);
  TensorId activation(const std::string& name, ir::OpKind kind, TensorId x);
  // A float32 parameter named `name`, filled by `spec` (or zeros when random weights are off).
  TensorId parameter(const std::string& name, ir::Shape shape, const InitSpec& spec);
  std::string param_name(const std::string& layer, const char* torch_suffix, const char* keras_suffix) const;
  bool claim_name(std::unordered_set<std::string>& names, const std::string& name, const char* what);
  bool check_input(const std::string& node, TensorId id);

  ParamNaming naming_;
  InitPolicy init_;
  uint64_t seed_;
  bool random_weights_;
  ir::Graph graph_;
  std::unordered_set<std::string> tensor_names_;
  std::unordered_set<std::string> node_names_;
  Status status_;
};

}  // namespace gramlite::zoo
