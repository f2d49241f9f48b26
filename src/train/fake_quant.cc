#include "train/fake_quant.h"

#include <cmath>
#include <exception>
#include <set>
#include <unordered_map>
#include <utility>

#include <c10/core/GradMode.h>

#include "gramlite/ir/passes.h"
#include "gramlite/ir/validate.h"
#include "train/torch_graph_internal.h"

namespace gramlite::train {
namespace {

using ir::OpKind;

// Ops whose int8 output has its input's parameters (docs/quantization.md): no observer of their own.
bool shares_input_quant(OpKind kind) {
  return kind == OpKind::kMaxPool || kind == OpKind::kFlatten || kind == OpKind::kReshape || kind == OpKind::kPad ||
         kind == OpKind::kDropout;
}

// Activations the int8 graph runs as lookup tables after their op (not clamps): compress's
// conversion splits them off a node that has them fused, quantizing the op's output first.
bool is_table_activation(ir::Activation a) {
  return a == ir::Activation::kHardSwish || a == ir::Activation::kHardSigmoid || a == ir::Activation::kSigmoid;
}
bool is_table_activation_op(OpKind kind) {
  return kind == OpKind::kHardSwish || kind == OpKind::kHardSigmoid || kind == OpKind::kSigmoid;
}

at::Tensor apply_table_activation(const at::Tensor& x, ir::Activation a) {
  switch (a) {
    case ir::Activation::kHardSwish: return at::hardswish(x);
    case ir::Activation::kHardSigmoid: return at::hardsigmoid(x);
    case ir::Activation::kSigmoid: return at::sigmoid(x);
    default: return x;
  }
}

// The name compress::convert_to_int8 gives the tensor between a prepared node and its split-off
// lookup-table activation (src/compress/quantize/graph_rewrite.h, pre_activation_name).
std::string pre_activation_name(const std::string& node) { return node + ".pre_activation"; }

// The shape that puts one value per output channel on axis 0 of a weight (or axis 1 of an output).
std::vector<int64_t> channel_shape(int64_t rank, int64_t axis) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(axis)] = -1;
  return shape;
}

// round-half-even(x / scale) (float32 division, as ir::quantize_value) + zero point, clamped, then
// scale * float(q - zero_point) (ir::dequantize_value); STE gradient (1 inside [qmin, qmax]).
at::Tensor fake_quantize(const at::Tensor& x, const at::Tensor& scale_float, int32_t zero_point, int32_t qmin,
                         int32_t qmax) {
  at::Tensor quantized;
  at::Tensor inside;
  {
    c10::AutoGradMode no_grad(false);
    // at::round is std::nearbyint: ties to even in the default rounding mode.
    const at::Tensor q = at::round(x.detach().to(at::kFloat) / scale_float).to(at::kDouble) + zero_point;
    inside = at::logical_and(q >= qmin, q <= qmax);
    quantized = (at::clamp(q, qmin, qmax) - zero_point).to(at::kFloat) * scale_float;
  }
  if (!x.requires_grad()) return quantized;
  // Value: `quantized` exactly (x - x.detach() is 0); gradient: `inside`.
  return quantized + (x - x.detach()) * inside;
}

}  // namespace

at::Tensor fake_quantize_per_tensor(const at::Tensor& x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  return fake_quantize(x, at::scalar_tensor(scale, at::kFloat), zero_point, qmin, qmax);
}

at::Tensor fake_quantize_weight(const at::Tensor& weight, bool per_tensor, int bits, std::vector<float>* scales) {
  const int32_t levels = static_cast<int32_t>((1 << (std::min(std::max(bits, 2), 8) - 1)) - 1);
  std::vector<float> values;
  {
    c10::AutoGradMode no_grad(false);
    const at::Tensor magnitude = weight.detach().abs();
    const at::Tensor max_abs =
        per_tensor || weight.dim() < 2 ? magnitude.max().reshape({1}) : magnitude.reshape({weight.size(0), -1}).amax(1);
    const at::Tensor contiguous = max_abs.contiguous().to(at::kFloat);
    const float* data = contiguous.data_ptr<float>();
    for (int64_t c = 0; c < contiguous.numel(); ++c) values.push_back(ir::choose_weight_scale(data[c], bits));
  }
  at::Tensor scale_float = at::tensor(values, at::kFloat);
  if (values.size() > 1) scale_float = scale_float.reshape(channel_shape(weight.dim(), 0));
  else scale_float = scale_float.reshape({});
  if (scales != nullptr) *scales = values;
  return fake_quantize(weight, scale_float, 0, -levels, levels);
}

void MovingAverageObserver::update(float batch_min, float batch_max, float momentum) {
  if (!std::isfinite(batch_min) || !std::isfinite(batch_max)) return;  // a diverging step: the trainer reports it
  if (!initialized) {
    min = batch_min;
    max = batch_max;
    initialized = true;
    return;
  }
  min = min + momentum * (batch_min - min);
  max = max + momentum * (batch_max - max);
}

void MovingAverageObserver::update(const at::Tensor& x, float momentum) {
  c10::AutoGradMode no_grad(false);
  if (x.numel() == 0) return;
  const auto [lo, hi] = at::aminmax(x.detach());
  update(lo.item<float>(), hi.item<float>(), momentum);
}

struct FakeQuantization::Impl : TorchGraph::Impl::ForwardHooks {
  struct NodePlan {
    bool quantize_weight = false;  // Conv2d / Linear
    bool folded = false;           // runs as ConvBn: the BatchNorm after it is folded at conversion
    int gamma_slot = -1;           // the folded BatchNorm's gamma and running variance (constant slots)
    int var_slot = -1;
    double epsilon = 0.0;
    int observer = -1;             // fake-quantizes the output with this observer (-1: none)
    int input_observer = -1;       // a standalone table activation: its input (a pre-activation) first
    int split_observer = -1;       // a fused table activation: the output before it
    bool updates_observer = false; // false: the observer belongs to its input (shared parameters)
  };

  std::shared_ptr<FakeQuantization> owner;
  TorchGraph::Impl* graph = nullptr;  // owns these hooks, so it outlives them
  std::vector<NodePlan> plans;        // per node of graph->nodes
  std::vector<int> input_observers;   // per graph input

  at::Tensor quantize_output(int observer, bool updates, const at::Tensor& y, bool training) {
    if (observer < 0 || !owner->options_.quantize_activations) return y;
    MovingAverageObserver& o = owner->observers_[static_cast<size_t>(observer)];
    if (updates && training && !owner->observers_frozen_) o.update(y, owner->options_.observer_momentum);
    if (!o.initialized) return y;  // no range yet (evaluated before any training batch)
    const ir::AffineQuant q = o.quant();
    return fake_quantize_per_tensor(y, q.scale, q.zero_point);
  }

  at::Tensor on_input(size_t input, const at::Tensor& x, bool training) override {
    return quantize_output(input < input_observers.size() ? input_observers[input] : -1, true, x, training);
  }

  std::vector<at::Tensor> run_node(size_t index, const TorchGraph::Impl::NodeState& state, std::vector<at::Tensor> in,
                                   bool node_training, bool training, at::Generator& generator) override {
    const NodePlan& plan = plans[index];
    const FakeQuantOptions& options = owner->options_;
    std::vector<at::Tensor> out;
    if (plan.input_observer >= 0) in[0] = quantize_output(plan.input_observer, true, in[0], training);
    if (plan.split_observer >= 0) {
      ir::Node plain = state.node;
      plain.fused_activation = ir::Activation::kNone;
      out = internal::run_node(plain, in, node_training, generator);
      out[0] = apply_table_activation(quantize_output(plan.split_observer, true, out[0], training),
                                      state.node.fused_activation);
    } else if (plan.folded) {
      // PyTorch's ConvBn (torch/ao/nn/intrinsic/qat/modules/conv_fused.py, _forward_approximate): the
      // weight the int8 model will hold, w * gamma / sqrt(running_var + eps) (in double, as
      // ir::fold_batch_norm computes it), fake-quantized; the result divided by that factor again so
      // that the BatchNorm after it sees the unfolded convolution's output.
      const at::Tensor& gamma = graph->constants[static_cast<size_t>(plan.gamma_slot)].value;
      const at::Tensor& var = graph->constants[static_cast<size_t>(plan.var_slot)].value;
      const at::Tensor factor = gamma.to(at::kDouble) / at::sqrt(var.detach().to(at::kDouble) + plan.epsilon);
      const at::Tensor& weight = in[1];
      at::Tensor folded = (weight.to(at::kDouble) * factor.reshape(channel_shape(weight.dim(), 0))).to(at::kFloat);
      if (options.quantize_weights) folded = fake_quantize_weight(folded, options.per_tensor_weights, options.weight_bits);
      const at::Tensor bias = in.size() > 2 ? in[2] : at::Tensor();
      in[1] = folded;
      in.resize(2);
      at::Tensor y = internal::run_node(state.node, in, node_training, generator)[0];
      const at::Tensor factor_float = factor.to(at::kFloat);
      // A zero gamma zeroes the folded channel; dividing by 1 keeps its (zero) output finite.
      const at::Tensor divisor = at::where(factor_float == 0, at::ones_like(factor_float), factor_float);
      const std::vector<int64_t> per_channel = channel_shape(y.dim(), 1);
      y = y / divisor.reshape(per_channel);
      if (bias.defined()) y = y + bias.reshape(per_channel);
      out = {y};
    } else {
      if (plan.quantize_weight && options.quantize_weights) {
        in[1] = fake_quantize_weight(in[1], options.per_tensor_weights, options.weight_bits);
      }
      out = internal::run_node(state.node, in, node_training, generator);
    }
    if (!out.empty()) out[0] = quantize_output(plan.observer, plan.updates_observer, out[0], training);
    return out;
  }
};

Result<std::shared_ptr<FakeQuantization>> FakeQuantization::attach(TorchGraph& torch, const ir::Graph& graph,
                                                                   const FakeQuantOptions& options) {
  if (options.weight_bits < 2 || options.weight_bits > 8) {
    return invalid_argument("weight bits must be in [2, 8], got ", options.weight_bits);
  }
  if (!std::isfinite(options.observer_momentum) || options.observer_momentum <= 0 || options.observer_momentum > 1) {
    return invalid_argument("the observer momentum must be in (0, 1], got ", options.observer_momentum);
  }
  TorchGraph::Impl& impl = torch.impl();
  if (impl.nodes.size() != graph.nodes.size() || impl.input_slots.size() != graph.inputs.size()) {
    return invalid_argument("fake quantization: the graph is not the one the torch graph was made from");
  }
  // The graph compress::convert_to_int8 will quantize (ir::optimize_for_inference), pass by pass, to
  // learn which batch norms fold and which tensors remain.
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph));
  ir::Graph prepared = graph;
  GRAMLITE_RETURN_IF_ERROR(ir::remove_identity_ops(prepared).status());
  GRAMLITE_RETURN_IF_ERROR(ir::fold_batch_norm(prepared).status());
  std::set<std::string> remaining_batch_norms;
  for (const ir::Node& node : prepared.nodes) {
    if (node.kind == OpKind::kBatchNorm) remaining_batch_norms.insert(node.name);
  }
  GRAMLITE_RETURN_IF_ERROR(ir::fuse_activations(prepared).status());
  GRAMLITE_RETURN_IF_ERROR(ir::remove_dead_nodes(prepared).status());
  std::set<std::string> quantized;  // tensor names of the prepared graph's activations
  for (ir::TensorId id : prepared.inputs) quantized.insert(prepared.tensor(id).name);
  // Outputs of prepared nodes with a table activation fused: their pre-activation name.
  std::unordered_map<std::string, std::string> pre_activation_of;
  for (const ir::Node& node : prepared.nodes) {
    for (ir::TensorId id : node.outputs) quantized.insert(prepared.tensor(id).name);
    if (is_table_activation(node.fused_activation)) {
      pre_activation_of[prepared.tensor(node.outputs[0]).name] = pre_activation_name(node.name);
    }
  }

  auto self = std::shared_ptr<FakeQuantization>(new FakeQuantization());
  self->options_ = options;
  auto hooks = std::make_shared<Impl>();
  hooks->owner = self;
  hooks->graph = &impl;
  hooks->plans.resize(impl.nodes.size());

  const std::vector<int> producers = graph.producers();
  std::unordered_map<std::string, size_t> node_index;  // in impl.nodes (topological order)
  for (size_t n = 0; n < impl.nodes.size(); ++n) node_index[impl.nodes[n].node.name] = n;
  std::unordered_map<int, int> constant_slot_of_tensor;
  for (size_t c = 0; c < impl.constants.size(); ++c) {
    const std::optional<ir::TensorId> id = graph.find_tensor(impl.constants[c].tensor);
    if (id) constant_slot_of_tensor[*id] = static_cast<int>(c);
  }
  const auto new_observer = [&](const std::string& tensor) {
    MovingAverageObserver o;
    o.tensor = tensor;
    self->observers_.push_back(o);
    self->observer_of_[tensor] = self->observers_.size() - 1;
    return static_cast<int>(self->observers_.size() - 1);
  };
  // The observer a tensor's readers see, looking through Dropouts (removed in the prepared graph).
  const auto observer_read = [&](ir::TensorId id) -> int {
    for (int guard = 0; guard < 1000; ++guard) {
      auto found = self->observer_of_.find(graph.tensor(id).name);
      if (found != self->observer_of_.end()) return static_cast<int>(found->second);
      const int p = producers[static_cast<size_t>(id)];
      if (p < 0 || graph.nodes[static_cast<size_t>(p)].kind != OpKind::kDropout) return -1;
      id = graph.nodes[static_cast<size_t>(p)].inputs[0];
    }
    return -1;
  };

  for (ir::TensorId id : graph.inputs) {
    const std::string& name = graph.tensor(id).name;
    hooks->input_observers.push_back(quantized.count(name) > 0 ? new_observer(name) : -1);
  }
  for (size_t n = 0; n < impl.nodes.size(); ++n) {
    const ir::Node& node = impl.nodes[n].node;
    Impl::NodePlan& plan = hooks->plans[n];
    plan.quantize_weight = (node.kind == OpKind::kConv2d || node.kind == OpKind::kLinear) && node.inputs.size() > 1;
    if (node.kind == OpKind::kBatchNorm && remaining_batch_norms.count(node.name) == 0) {
      // Folded into the node producing its input.
      const int p = producers[static_cast<size_t>(node.inputs[0])];
      const auto producer = p >= 0 ? node_index.find(graph.nodes[static_cast<size_t>(p)].name) : node_index.end();
      const auto gamma = constant_slot_of_tensor.find(node.inputs[1]);
      const auto var = constant_slot_of_tensor.find(node.inputs[4]);
      if (producer == node_index.end() || gamma == constant_slot_of_tensor.end() || var == constant_slot_of_tensor.end() ||
          !hooks->plans[producer->second].quantize_weight) {
        return internal_error("fake quantization: cannot find the layer batch norm '", node.name, "' folds into");
      }
      Impl::NodePlan& conv = hooks->plans[producer->second];
      conv.folded = true;
      conv.gamma_slot = gamma->second;
      conv.var_slot = var->second;
      conv.epsilon = node.attr<ir::BatchNormAttrs>().epsilon;
    }
    const std::string& output = graph.tensor(node.outputs[0]).name;
    if (const auto pre = pre_activation_of.find(output); pre != pre_activation_of.end()) {
      if (is_table_activation(node.fused_activation)) {
        plan.split_observer = new_observer(pre->second);
      } else if (is_table_activation_op(node.kind) && node.fused_activation == ir::Activation::kNone) {
        plan.input_observer = new_observer(pre->second);
      } else {
        return internal_error("fake quantization: node '", node.name, "' should end in a lookup-table activation");
      }
    }
    if (quantized.count(output) == 0) continue;
    const int shared = shares_input_quant(node.kind) ? observer_read(node.inputs[0]) : -1;
    if (shared >= 0) {
      plan.observer = shared;
      self->observer_of_[output] = static_cast<size_t>(shared);
    } else {
      plan.observer = new_observer(output);
      plan.updates_observer = true;
    }
  }
  impl.hooks = hooks;
  return self;
}

Status FakeQuantization::set_ranges(const ir::ActivationRanges& ranges) {
  for (MovingAverageObserver& o : observers_) {
    const auto found = ranges.find(o.tensor);
    if (found == ranges.end()) return not_found("no activation range for tensor '", o.tensor, "'");
    o.initialized = true;
    o.min = found->second.min;
    o.max = found->second.max;
  }
  return Status::Ok();
}

Result<ir::ActivationRanges> FakeQuantization::ranges(const std::vector<MovingAverageObserver>* snapshot) const {
  const std::vector<MovingAverageObserver>& observers = snapshot != nullptr ? *snapshot : observers_;
  if (observers.size() != observers_.size()) return internal_error("observer snapshot of another graph");
  ir::ActivationRanges result;
  for (const auto& [tensor, index] : observer_of_) {
    const MovingAverageObserver& o = observers[index];
    if (!o.initialized) return invalid_argument("the observer of tensor '", o.tensor, "' never saw a batch");
    result[tensor] = ir::ActivationRange{o.min, o.max};
  }
  return result;
}

}  // namespace gramlite::train
