#include "zoo/graph_builder.h"

#include <utility>

#include "gramlite/ir/shape_inference.h"

namespace gramlite::zoo {
namespace {

const ir::Shape kEmptyShape;

}  // namespace

GraphBuilder::GraphBuilder(ParamNaming naming, InitPolicy init, uint64_t seed, bool random_weights)
    : naming_(naming), init_(init), seed_(seed), random_weights_(random_weights) {}

void GraphBuilder::fail(Status status) {
  if (status_.ok() && !status.ok()) status_ = std::move(status);
}

bool GraphBuilder::claim_name(std::unordered_set<std::string>& names, const std::string& name, const char* what) {
  if (name.empty()) {
    fail(internal_error("zoo: empty ", what, " name"));
    return false;
  }
  if (!names.insert(name).second) {
    fail(internal_error("zoo: duplicate ", what, " name '", name, "'"));
    return false;
  }
  return true;
}

bool GraphBuilder::check_input(const std::string& node, TensorId id) {
  if (!graph_.is_valid_tensor_id(id)) {
    fail(internal_error("zoo: node '", node, "' reads unknown tensor id ", id));
    return false;
  }
  return true;
}

std::string GraphBuilder::param_name(const std::string& layer, const char* torch_suffix,
                                     const char* keras_suffix) const {
  return naming_ == ParamNaming::kTorchvision ? layer + "." + torch_suffix : layer + "/" + keras_suffix;
}

TensorId GraphBuilder::parameter(const std::string& name, ir::Shape shape, const InitSpec& spec) {
  if (!status_.ok() || !claim_name(tensor_names_, name, "tensor")) return ir::kNoTensor;
  const int64_t count = ir::element_count(shape);
  if (count <= 0) {
    fail(invalid_argument("zoo: parameter '", name, "' would have shape ", ir::shape_to_string(shape)));
    return ir::kNoTensor;
  }
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  Buffer data = Buffer::allocate(bytes);
  if (data.size() != bytes) {
    fail(invalid_argument("zoo: cannot allocate ", bytes, " bytes for parameter '", name, "'"));
    return ir::kNoTensor;
  }
  // Buffer::allocate zero-fills, which is already the value of every skipped random tensor.
  if (spec.is_random() ? random_weights_ : spec.a != 0.0) {
    fill(spec, seed_, name, data.mutable_as<float>(), static_cast<size_t>(count));
  }
  return graph_.add_constant(name, std::move(shape), ir::DType::kFloat32, std::move(data));
}

TensorId GraphBuilder::add_node(const std::string& name, ir::OpKind kind, std::vector<TensorId> inputs,
                                ir::Attributes attrs) {
  if (!status_.ok()) return ir::kNoTensor;
  std::vector<ir::Shape> input_shapes;
  for (TensorId id : inputs) {
    if (!check_input(name, id)) return ir::kNoTensor;
    input_shapes.push_back(graph_.tensor(id).shape);
  }
  ir::Node node;
  node.name = name;
  node.kind = kind;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  auto shapes = ir::infer_node_output_shapes(graph_, node, input_shapes);
  if (!shapes.ok()) {
    fail(shapes.status());
    return ir::kNoTensor;
  }
  if (shapes->size() != 1) {
    fail(internal_error("zoo: node '", name, "' has ", shapes->size(), " outputs, expected 1"));
    return ir::kNoTensor;
  }
  if (!claim_name(node_names_, name, "node") || !claim_name(tensor_names_, name, "tensor")) return ir::kNoTensor;
  const TensorId out = graph_.add_value(name, std::move((*shapes)[0]));
  node.outputs = {out};
  graph_.add_node(std::move(node));
  return out;
}

TensorId GraphBuilder::input(const std::string& name, int64_t channels, int64_t height, int64_t width) {
  if (!status_.ok() || !claim_name(tensor_names_, name, "tensor")) return ir::kNoTensor;
  const TensorId id = graph_.add_value(name, ir::Shape{ir::kDynamicDim, channels, height, width});
  graph_.inputs.push_back(id);
  return id;
}

TensorId GraphBuilder::conv2d(const std::string& name, TensorId x, const Conv& conv) {
  if (!status_.ok() || !check_input(name, x)) return ir::kNoTensor;
  const ir::Shape& in = graph_.tensor(x).shape;
  if (in.size() != 4) {
    fail(invalid_argument("zoo: conv '", name, "' input has shape ", ir::shape_to_string(in)));
    return ir::kNoTensor;
  }
  const ir::Conv2dAttrs& a = conv.attrs();
  if (a.groups < 1 || in[1] % a.groups != 0 || conv.out_channels() % a.groups != 0) {
    fail(invalid_argument("zoo: conv '", name, "': ", in[1], " input and ", conv.out_channels(),
                          " output channels cannot be split into ", a.groups, " groups"));
    return ir::kNoTensor;
  }
  ir::Shape weight_shape{conv.out_channels(), in[1] / a.groups, a.kernel_h, a.kernel_w};
  const bool depthwise = conv.is_depthwise() || (a.groups > 1 && a.groups == in[1]);
  const TensorId weight = parameter(param_name(name, "weight", depthwise ? "depthwise_kernel" : "kernel"),
                                    weight_shape, init_.conv_weight(weight_shape));
  std::vector<TensorId> inputs{x, weight};
  if (conv.has_bias()) {
    const InitSpec spec = init_.conv_bias ? init_.conv_bias(weight_shape) : InitSpec::zeros();
    inputs.push_back(parameter(param_name(name, "bias", "bias"), {conv.out_channels()}, spec));
  }
  return add_node(name, ir::OpKind::kConv2d, std::move(inputs), a);
}

TensorId GraphBuilder::batch_norm(const std::string& name, TensorId x, float epsilon) {
  if (!status_.ok() || !check_input(name, x)) return ir::kNoTensor;
  const int64_t c = channels(x);
  const TensorId gamma = parameter(param_name(name, "weight", "gamma"), {c}, InitSpec::ones());
  const TensorId beta = parameter(param_name(name, "bias", "beta"), {c}, InitSpec::zeros());
  const TensorId mean = parameter(param_name(name, "running_mean", "moving_mean"), {c}, InitSpec::zeros());
  const TensorId var = parameter(param_name(name, "running_var", "moving_variance"), {c}, InitSpec::ones());
  ir::BatchNormAttrs attrs;
  attrs.epsilon = epsilon;
  return add_node(name, ir::OpKind::kBatchNorm, {x, gamma, beta, mean, var}, attrs);
}

TensorId GraphBuilder::linear(const std::string& name, TensorId x, int64_t out_features, bool bias) {
  if (!status_.ok() || !check_input(name, x)) return ir::kNoTensor;
  const ir::Shape& in = graph_.tensor(x).shape;
  if (in.size() < 2) {
    fail(invalid_argument("zoo: linear '", name, "' input has shape ", ir::shape_to_string(in)));
    return ir::kNoTensor;
  }
  ir::Shape weight_shape{out_features, in.back()};
  const InitSpec weight_spec =
      init_.linear_weight ? init_.linear_weight(weight_shape) : torch_default_uniform(weight_shape);
  const TensorId weight = parameter(param_name(name, "weight", "kernel"), weight_shape, weight_spec);
  std::vector<TensorId> inputs{x, weight};
  if (bias) {
    const InitSpec spec = init_.linear_bias ? init_.linear_bias(weight_shape) : InitSpec::zeros();
    inputs.push_back(parameter(param_name(name, "bias", "bias"), {out_features}, spec));
  }
  return add_node(name, ir::OpKind::kLinear, std::move(inputs), std::monostate{});
}

TensorId GraphBuilder::activation(const std::string& name, ir::OpKind kind, TensorId x) {
  return add_node(name, kind, {x}, std::monostate{});
}

TensorId GraphBuilder::relu(const std::string& name, TensorId x) { return activation(name, ir::OpKind::kRelu, x); }
TensorId GraphBuilder::relu6(const std::string& name, TensorId x) { return activation(name, ir::OpKind::kRelu6, x); }
TensorId GraphBuilder::hard_swish(const std::string& name, TensorId x) {
  return activation(name, ir::OpKind::kHardSwish, x);
}
TensorId GraphBuilder::hard_sigmoid(const std::string& name, TensorId x) {
  return activation(name, ir::OpKind::kHardSigmoid, x);
}
TensorId GraphBuilder::sigmoid(const std::string& name, TensorId x) {
  return activation(name, ir::OpKind::kSigmoid, x);
}

TensorId GraphBuilder::add(const std::string& name, TensorId a, TensorId b) {
  return add_node(name, ir::OpKind::kAdd, {a, b}, std::monostate{});
}

TensorId GraphBuilder::mul(const std::string& name, TensorId a, TensorId b) {
  return add_node(name, ir::OpKind::kMul, {a, b}, std::monostate{});
}

TensorId GraphBuilder::concat(const std::string& name, const std::vector<TensorId>& parts, int32_t axis) {
  ir::ConcatAttrs attrs;
  attrs.axis = axis;
  return add_node(name, ir::OpKind::kConcat, parts, attrs);
}

TensorId GraphBuilder::max_pool(const std::string& name, TensorId x, const Pool& pool) {
  return add_node(name, ir::OpKind::kMaxPool, {x}, pool.attrs());
}

TensorId GraphBuilder::avg_pool(const std::string& name, TensorId x, const Pool& pool) {
  return add_node(name, ir::OpKind::kAvgPool, {x}, pool.attrs());
}

TensorId GraphBuilder::global_avg_pool(const std::string& name, TensorId x) {
  return add_node(name, ir::OpKind::kGlobalAvgPool, {x}, std::monostate{});
}

TensorId GraphBuilder::flatten(const std::string& name, TensorId x, int32_t axis) {
  ir::FlattenAttrs attrs;
  attrs.axis = axis;
  return add_node(name, ir::OpKind::kFlatten, {x}, attrs);
}

TensorId GraphBuilder::reshape(const std::string& name, TensorId x, std::vector<int64_t> shape) {
  ir::ReshapeAttrs attrs;
  attrs.shape = std::move(shape);
  return add_node(name, ir::OpKind::kReshape, {x}, std::move(attrs));
}

TensorId GraphBuilder::dropout(const std::string& name, TensorId x, float ratio) {
  ir::DropoutAttrs attrs;
  attrs.ratio = ratio;
  return add_node(name, ir::OpKind::kDropout, {x}, attrs);
}

TensorId GraphBuilder::softmax(const std::string& name, TensorId x, int32_t axis) {
  ir::SoftmaxAttrs attrs;
  attrs.axis = axis;
  return add_node(name, ir::OpKind::kSoftmax, {x}, attrs);
}

TensorId GraphBuilder::pad(const std::string& name, TensorId x, std::vector<int64_t> pads, float value) {
  ir::PadAttrs attrs;
  attrs.pads = std::move(pads);
  attrs.value = value;
  return add_node(name, ir::OpKind::kPad, {x}, std::move(attrs));
}

const ir::Shape& GraphBuilder::shape(TensorId id) const {
  return graph_.is_valid_tensor_id(id) ? graph_.tensor(id).shape : kEmptyShape;
}

int64_t GraphBuilder::channels(TensorId id) const {
  const ir::Shape& s = shape(id);
  return s.size() >= 2 ? s[1] : 0;
}

void GraphBuilder::mark_output(TensorId id) {
  if (!status_.ok() || !check_input("<graph output>", id)) return;
  graph_.outputs.push_back(id);
}

Result<ir::Graph> GraphBuilder::finish(ir::ModelMetadata metadata) {
  if (!status_.ok()) return status_;
  if (graph_.inputs.empty() || graph_.outputs.empty()) {
    return internal_error("zoo: graph finished without an input or an output");
  }
  graph_.metadata = std::move(metadata);
  return std::move(graph_);
}

}  // namespace gramlite::zoo
