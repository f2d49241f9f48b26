#include "gramlite/zoo/classifier_head.h"

#include <utility>

#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"
#include "zoo/initializers.h"

namespace gramlite::zoo {
namespace {

using ir::OpKind;

bool is_pass_through(OpKind kind) {
  return kind == OpKind::kSoftmax || kind == OpKind::kReshape || kind == OpKind::kFlatten || kind == OpKind::kDropout;
}

bool is_classifier_layer(const ir::Graph& graph, const ir::Node& node) {
  if (node.kind == OpKind::kLinear) return true;
  if (node.kind != OpKind::kConv2d) return false;
  const auto& a = node.attr<ir::Conv2dAttrs>();
  const ir::Shape& weight = graph.tensor(node.inputs[1]).shape;
  return a.kernel_h == 1 && a.kernel_w == 1 && a.groups == 1 && weight.size() == 4;
}

}  // namespace

Result<ClassifierHead> find_classifier_head(const ir::Graph& graph) {
  if (graph.outputs.empty()) return unsupported("the graph has no output, so no classifier head");
  const std::vector<int> producers = graph.producers();
  ClassifierHead head;
  ir::TensorId current = graph.outputs[0];
  for (;;) {
    const int index = producers[static_cast<size_t>(current)];
    if (index < 0) {
      return unsupported("no Linear or 1x1 Conv2d classifier before the output '", graph.tensor(graph.outputs[0]).name,
                         "' (reached the input or constant '", graph.tensor(current).name, "')");
    }
    const ir::Node& node = graph.nodes[static_cast<size_t>(index)];
    if (node.inputs.size() >= 2 && is_classifier_layer(graph, node)) {
      const ir::Tensor& weight = graph.tensor(node.inputs[1]);
      if (!weight.is_constant()) return unsupported("classifier '", node.name, "' has a weight that is not a constant");
      head.node = index;
      head.weight = node.inputs[1];
      head.bias = node.inputs.size() > 2 ? node.inputs[2] : ir::kNoTensor;
      head.num_classes = weight.shape[0];
      return head;
    }
    if (!is_pass_through(node.kind) || node.inputs.empty()) {
      return unsupported("no Linear or 1x1 Conv2d classifier before the output: the walk back from it stopped at '",
                         node.name, "' (", ir::op_kind_name(node.kind), ")");
    }
    head.path.push_back(index);
    current = node.inputs[0];
  }
}

Status replace_classifier_head(ir::Graph& graph, const ReplaceHeadOptions& options) {
  if (options.num_classes < 1) return invalid_argument("the new head needs at least one class, got ", options.num_classes);
  if (!options.class_names.empty() && options.class_names.size() != static_cast<size_t>(options.num_classes)) {
    return invalid_argument(options.class_names.size(), " class names for ", options.num_classes, " classes");
  }
  GRAMLITE_ASSIGN_OR_RETURN(ClassifierHead head, find_classifier_head(graph));
  ir::Graph edited = graph;
  ir::Node& node = edited.nodes[static_cast<size_t>(head.node)];
  ir::Tensor& weight = edited.tensor(head.weight);
  if (weight.dtype != ir::DType::kFloat32 || !weight.quant.empty()) {
    return unsupported("classifier '", node.name, "' is ", ir::dtype_name(weight.dtype),
                       weight.quant.empty() ? "" : " quantized", "; replacing it needs float32");
  }
  ir::Shape weight_shape = weight.shape;
  weight_shape[0] = options.num_classes;
  const int64_t weight_count = ir::element_count(weight_shape);
  Buffer weight_data = Buffer::allocate(static_cast<size_t>(weight_count) * sizeof(float));
  fill(torch_default_uniform(weight_shape), options.seed, weight.name, weight_data.mutable_as<float>(),
       static_cast<size_t>(weight_count));
  weight.shape = weight_shape;
  weight.data = std::move(weight_data);
  weight.sparsity = {};

  Buffer bias_data = Buffer::allocate(static_cast<size_t>(options.num_classes) * sizeof(float));
  const std::string bias_name = head.bias != ir::kNoTensor ? edited.tensor(head.bias).name : node.name + ".bias";
  fill(torch_default_uniform(weight_shape), options.seed, bias_name, bias_data.mutable_as<float>(),
       static_cast<size_t>(options.num_classes));
  if (head.bias != ir::kNoTensor) {
    ir::Tensor& bias = edited.tensor(head.bias);
    bias.shape = {options.num_classes};
    bias.dtype = ir::DType::kFloat32;
    bias.quant = {};
    bias.sparsity = {};
    bias.data = std::move(bias_data);
  } else {
    if (edited.find_tensor(bias_name)) return invalid_argument("cannot add a bias to '", node.name, "': '", bias_name, "' exists");
    const ir::TensorId bias = edited.add_constant(bias_name, {options.num_classes}, ir::DType::kFloat32, std::move(bias_data));
    edited.nodes[static_cast<size_t>(head.node)].inputs.resize(2);
    edited.nodes[static_cast<size_t>(head.node)].inputs.push_back(bias);
  }
  for (int index : head.path) {
    ir::Node& pass = edited.nodes[static_cast<size_t>(index)];
    if (pass.kind != ir::OpKind::kReshape) continue;
    for (int64_t& dim : pass.attr<ir::ReshapeAttrs>().shape) {
      if (dim == head.num_classes) dim = options.num_classes;
    }
  }
  edited.metadata.class_names = options.class_names;
  if (edited.metadata.class_names.empty()) {
    for (int i = 0; i < options.num_classes; ++i) edited.metadata.class_names.push_back(str_cat("class_", i));
  }
  GRAMLITE_RETURN_IF_ERROR(ir::update_shapes(edited).with_context("after replacing the classifier head"));
  GRAMLITE_RETURN_IF_ERROR(ir::validate(edited).with_context("after replacing the classifier head"));
  graph = std::move(edited);
  return Status::Ok();
}

}  // namespace gramlite::zoo
