#include "train/torch_graph.h"

#include <exception>
#include <unordered_map>
#include <utility>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/validate.h"
#include "train/torch_graph_internal.h"

namespace gramlite::train {
namespace {

using ir::OpKind;

// A float32 copy of an IR constant; an error for other dtypes or encodings (the caller names the node).
Result<at::Tensor> to_torch(const ir::Tensor& t) {
  if (t.sparsity.encoding != ir::SparsityEncoding::kDense) {
    return unsupported("tensor '", t.name, "' has ", ir::sparsity_encoding_name(t.sparsity.encoding),
                       " sparse storage; training needs dense float32 or float16 constants");
  }
  if (!t.quant.empty() || (t.dtype != ir::DType::kFloat32 && t.dtype != ir::DType::kFloat16)) {
    return unsupported("tensor '", t.name, "' is ", t.quant.empty() ? "" : "quantized ", ir::dtype_name(t.dtype),
                       "; training needs float32 or float16 constants");
  }
  const int64_t count = t.element_count();
  if (count < 0 || static_cast<size_t>(count) * ir::dtype_size(t.dtype) != t.data.size()) {
    return corrupt_data("tensor '", t.name, "' holds ", t.data.size(), " bytes for shape ", ir::shape_to_string(t.shape));
  }
  const at::ScalarType type = t.dtype == ir::DType::kFloat32 ? at::kFloat : at::kHalf;
  // from_blob does not copy; clone/to gives the tensor its own storage.
  at::Tensor view = at::from_blob(const_cast<uint8_t*>(t.data.data()), t.shape, at::TensorOptions().dtype(type));
  return type == at::kFloat ? view.clone() : view.to(at::kFloat);
}

}  // namespace

TorchGraph::TorchGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchGraph::~TorchGraph() = default;

Result<std::unique_ptr<TorchGraph>> TorchGraph::create(const ir::Graph& graph, TorchGraphOptions options) {
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph));
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<int> order, ir::topological_order(graph));
  auto impl = std::make_unique<Impl>();
  try {
    if (options.threads > 0) at::set_num_threads(options.threads);
    impl->generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);

    std::unordered_map<ir::TensorId, int> slot_of;
    // Constants first (slots 0..), in order of first use, so parameters() follows the graph.
    for (int index : order) {
      const ir::Node& node = graph.nodes[static_cast<size_t>(index)];
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const ir::TensorId id = node.inputs[i];
        if (id == ir::kNoTensor || !graph.tensor(id).is_constant()) continue;
        auto found = slot_of.find(id);
        if (found != slot_of.end()) {
          // Shared constant: trainable if any reader trains it.
          if (ir::is_trainable_input(node.kind, i)) impl->constants[static_cast<size_t>(found->second)].trainable = true;
          continue;
        }
        const ir::Tensor& t = graph.tensor(id);
        Result<at::Tensor> value = to_torch(t);
        if (!value.ok()) return value.status().with_context(str_cat("node '", node.name, "'"));
        Impl::Constant constant;
        constant.tensor = t.name;
        constant.node = node.name;
        constant.shape = t.shape;
        constant.value = std::move(value).value();
        constant.trainable = ir::is_trainable_input(node.kind, i);
        slot_of[id] = static_cast<int>(impl->constants.size());
        impl->constants.push_back(std::move(constant));
      }
    }
    for (Impl::Constant& constant : impl->constants) constant.value.set_requires_grad(constant.trainable);

    int next_slot = static_cast<int>(impl->constants.size());
    const auto slot_for = [&](ir::TensorId id) {
      auto [it, inserted] = slot_of.emplace(id, next_slot);
      if (inserted) ++next_slot;
      return it->second;
    };
    for (ir::TensorId id : graph.inputs) {
      impl->input_slots.push_back(slot_for(id));
      impl->input_shapes.push_back(graph.tensor(id).shape);
    }
    for (int index : order) {
      const ir::Node& node = graph.nodes[static_cast<size_t>(index)];
      Impl::NodeState state;
      state.node = node;
      for (ir::TensorId id : node.inputs) state.input_slots.push_back(id == ir::kNoTensor ? -1 : slot_for(id));
      for (ir::TensorId id : node.outputs) state.output_slots.push_back(slot_for(id));
      impl->nodes.push_back(std::move(state));
    }
    for (ir::TensorId id : graph.outputs) impl->output_slots.push_back(slot_for(id));
    impl->value_count = next_slot;
  } catch (const std::exception& e) {
    return internal_error("libtorch: ", internal::describe(e));
  }
  return std::unique_ptr<TorchGraph>(new TorchGraph(std::move(impl)));
}

void TorchGraph::set_training(bool training) { impl_->training = training; }
bool TorchGraph::is_training() const { return impl_->training; }

namespace internal {

std::string describe(const std::exception& e) {
  // c10::Error::what() carries a C++ backtrace; what_without_backtrace() is the message.
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

std::vector<at::Tensor> forward(TorchGraph& graph, const std::vector<at::Tensor>& inputs) {
  TorchGraph::Impl& impl = graph.impl();
  if (inputs.size() != impl.input_slots.size()) {
    throw std::invalid_argument(str_cat("the graph has ", impl.input_slots.size(), " inputs, got ", inputs.size()));
  }
  std::vector<at::Tensor> values(static_cast<size_t>(impl.value_count));
  for (size_t i = 0; i < impl.constants.size(); ++i) values[i] = impl.constants[i].value;
  for (size_t i = 0; i < inputs.size(); ++i) {
    values[static_cast<size_t>(impl.input_slots[i])] = impl.hooks ? impl.hooks->on_input(i, inputs[i], impl.training) : inputs[i];
  }
  std::vector<at::Tensor> node_inputs;
  for (size_t n = 0; n < impl.nodes.size(); ++n) {
    const TorchGraph::Impl::NodeState& state = impl.nodes[n];
    node_inputs.clear();
    for (int slot : state.input_slots) node_inputs.push_back(slot < 0 ? at::Tensor() : values[static_cast<size_t>(slot)]);
    std::vector<at::Tensor> outputs;
    const bool node_training = impl.training && !state.frozen_statistics;
    try {
      outputs = impl.hooks ? impl.hooks->run_node(n, state, node_inputs, node_training, impl.training, impl.generator)
                           : run_node(state.node, node_inputs, node_training, impl.generator);
    } catch (const std::exception& e) {
      throw std::runtime_error(str_cat("node '", state.node.name, "' (", ir::op_kind_name(state.node.kind),
                                       "): ", internal::describe(e)));
    }
    for (size_t o = 0; o < state.output_slots.size() && o < outputs.size(); ++o) {
      values[static_cast<size_t>(state.output_slots[o])] = std::move(outputs[o]);
    }
  }
  std::vector<at::Tensor> result;
  for (int slot : impl.output_slots) result.push_back(values[static_cast<size_t>(slot)]);
  return result;
}

std::vector<at::Tensor> trainable_tensors(TorchGraph& graph) {
  std::vector<at::Tensor> result;
  for (const TorchGraph::Impl::Constant& constant : graph.impl().constants) {
    if (constant.trainable && constant.value.requires_grad()) result.push_back(constant.value);
  }
  return result;
}

}  // namespace internal

Result<std::vector<float>> TorchGraph::forward(const std::vector<float>& input, int64_t batch) {
  if (impl_->input_slots.size() != 1 || impl_->output_slots.empty()) {
    return invalid_argument("forward(vector) needs a graph with one input, this one has ", impl_->input_slots.size());
  }
  if (batch <= 0) return invalid_argument("batch must be positive, got ", batch);
  ir::Shape shape = impl_->input_shapes[0];
  if (shape.empty()) return invalid_argument("the graph input has no shape");
  shape[0] = batch;
  if (ir::element_count(shape) != static_cast<int64_t>(input.size())) {
    return invalid_argument("input has ", input.size(), " values, the graph input ", ir::shape_to_string(shape),
                            " needs ", ir::element_count(shape));
  }
  try {
    c10::AutoGradMode no_grad(false);
    const at::Tensor x = at::from_blob(const_cast<float*>(input.data()), shape, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor y = internal::forward(*this, {x})[0].contiguous().to(at::kFloat);
    const float* data = y.data_ptr<float>();
    return std::vector<float>(data, data + y.numel());
  } catch (const std::exception& e) {
    return invalid_argument("libtorch forward: ", internal::describe(e));
  }
}

Status TorchGraph::set_batch_norm_frozen(const std::string& node_name, bool frozen) {
  for (Impl::NodeState& state : impl_->nodes) {
    if (state.node.name != node_name) continue;
    if (state.node.kind != OpKind::kBatchNorm) {
      return invalid_argument("node '", node_name, "' is ", ir::op_kind_name(state.node.kind), ", not BatchNorm");
    }
    state.frozen_statistics = frozen;
    return Status::Ok();
  }
  return not_found("no node named '", node_name, "'");
}

std::vector<ParameterInfo> TorchGraph::parameters() const {
  std::vector<ParameterInfo> result;
  for (const Impl::Constant& c : impl_->constants) {
    result.push_back(ParameterInfo{c.node, c.tensor, c.value.numel(), c.trainable, c.value.requires_grad()});
  }
  return result;
}

Status TorchGraph::set_requires_grad(const std::string& tensor_name, bool requires_grad) {
  for (Impl::Constant& c : impl_->constants) {
    if (c.tensor != tensor_name) continue;
    if (!c.trainable && requires_grad) {
      return invalid_argument("tensor '", tensor_name, "' of node '", c.node, "' is a buffer, not a trainable parameter");
    }
    try {
      c.value.set_requires_grad(requires_grad);
    } catch (const std::exception& e) {
      return internal_error("libtorch: ", internal::describe(e));
    }
    return Status::Ok();
  }
  return not_found("no parameter or buffer named '", tensor_name, "'");
}

Status TorchGraph::write_back(ir::Graph& graph) const {
  // Check everything before changing anything, so that a failure leaves `graph` as it was.
  std::vector<ir::TensorId> targets;
  for (const Impl::Constant& c : impl_->constants) {
    const std::optional<ir::TensorId> id = graph.find_tensor(c.tensor);
    if (!id) return not_found("write_back: the graph has no tensor '", c.tensor, "' (node '", c.node, "')");
    const ir::Tensor& t = graph.tensor(*id);
    if (t.shape != c.shape || !t.is_constant()) {
      return invalid_argument("write_back: tensor '", c.tensor, "' is ", t.is_constant() ? "" : "not a constant of ",
                              "shape ", ir::shape_to_string(t.shape), " in the graph but ", ir::shape_to_string(c.shape),
                              " here");
    }
    if (t.dtype != ir::DType::kFloat32 && t.dtype != ir::DType::kFloat16) {
      return unsupported("write_back: tensor '", c.tensor, "' is ", ir::dtype_name(t.dtype), " in the graph");
    }
    targets.push_back(*id);
  }
  try {
    c10::AutoGradMode no_grad(false);
    for (size_t i = 0; i < targets.size(); ++i) {
      ir::Tensor& t = graph.tensor(targets[i]);
      const at::ScalarType type = t.dtype == ir::DType::kFloat32 ? at::kFloat : at::kHalf;
      const at::Tensor value = impl_->constants[i].value.detach().to(type).contiguous();
      t.data = Buffer::copy_of(value.data_ptr(), static_cast<size_t>(value.numel()) * value.element_size());
      t.quant = {};
      t.sparsity = {};
    }
  } catch (const std::exception& e) {
    return internal_error("write_back: libtorch: ", internal::describe(e));
  }
  return Status::Ok();
}

}  // namespace gramlite::train
