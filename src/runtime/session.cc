#include "gramlite/runtime/session.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <unordered_set>

#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/passes.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/validate.h"
#include "runtime/layout_conversion.h"
#include "runtime/memory_planner.h"
#include "runtime/weight_decoding.h"

namespace gramlite::runtime {

// One node of the execution plan. Pointer arrays are filled at prepare; entries that are graph
// inputs are patched at the start of each run (input_patches_).
struct Session::Step {
  const Kernel* kernel = nullptr;  // owned by Session::kernels_ or conversion_kernels_
  int node = -1;                   // the graph node it runs; -1 for a layout conversion
  int profile_node = -1;           // the node its time is counted to (a conversion: its reader)
  bool is_view = false;
  std::vector<ir::TensorId> input_ids;   // graph tensors, or conversions' tensors past them
  std::vector<ir::TensorId> output_ids;
  std::vector<const void*> inputs;
  std::vector<void*> outputs;
  void* scratch = nullptr;
};

struct Session::InputPatch {
  size_t step;
  size_t slot;
  size_t graph_input;
};

namespace {

// Where a tensor's data lives during a run.
struct Location {
  enum class Kind { kNone, kArena, kGraphInput, kConstant };
  Kind kind = Kind::kNone;
  size_t request = 0;      // kArena: memory plan request index
  size_t graph_input = 0;  // kGraphInput
  const void* constant = nullptr;
};

std::string node_label(const ir::Node& node) {
  return str_cat("node '", node.name, "' (", ir::op_kind_name(node.kind), ")");
}

// What node's kernel sees for the planned shapes.
KernelContext make_context(const ir::Graph& graph, const ir::Node& node, const std::vector<ir::Shape>& shapes,
                           int thread_count, bool fp16_arithmetic) {
  KernelContext context{graph, node, {}, {}, thread_count, fp16_arithmetic};
  auto describe = [&](ir::TensorId id) {
    TensorDesc desc;
    if (id == ir::kNoTensor) return desc;
    const ir::Tensor& tensor = graph.tensor(id);
    desc.present = true;
    desc.dtype = tensor.dtype;
    desc.shape = shapes[static_cast<size_t>(id)];
    desc.quant = &tensor.quant;
    desc.tensor = &tensor;
    return desc;
  };
  for (ir::TensorId id : node.inputs) context.inputs.push_back(describe(id));
  for (ir::TensorId id : node.outputs) context.outputs.push_back(describe(id));
  return context;
}

// Bytes of a tensor's buffer: int8 activations take one byte an element, not four.
size_t byte_size(const ir::Shape& shape, ir::DType dtype) { return element_count_of(shape) * ir::dtype_size(dtype); }

}  // namespace

void Session::AlignedFree::operator()(void* memory) const {
  ::operator delete(memory, std::align_val_t(kArenaAlignment));
}

Session::Session(std::shared_ptr<const ir::Graph> graph, SessionOptions options, std::vector<const Backend*> backends)
    : graph_(std::move(graph)), options_(std::move(options)), backends_(std::move(backends)) {}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const ir::Graph> graph, SessionOptions options) {
  if (graph == nullptr) return invalid_argument("Session::create: no graph");
  std::vector<const Backend*> backends;
  for (const std::string& name : options.backends) {
    const Backend* backend = find_builtin_backend(name);
    for (const Backend* extra : options.extra_backends) {
      if (backend == nullptr && extra != nullptr && name == extra->name()) backend = extra;
    }
    if (backend == nullptr) {
      std::string known;
      for (const std::string& builtin : builtin_backend_names()) known += (known.empty() ? "" : ", ") + builtin;
      for (const Backend* extra : options.extra_backends) known += std::string(", ") + extra->name();
      return invalid_argument("unknown backend '", name, "' (known: ", known, ")");
    }
    if (std::find(backends.begin(), backends.end(), backend) == backends.end()) backends.push_back(backend);
  }
  if (std::find(backends.begin(), backends.end(), &reference_backend()) == backends.end()) {
    backends.push_back(&reference_backend());
  }
  GRAMLITE_RETURN_IF_ERROR(ir::validate(*graph).with_context("invalid graph"));
  // fp16 and dynamic-range weights are widened to float32 in the private copy (weight_decoding.h),
  // before optimisation (batch-norm folding reads float weights) and before kernels are chosen.
  const bool widen = has_narrow_weights(*graph);
  if (options.optimize || widen) {
    auto copy = std::make_shared<ir::Graph>(*graph);
    if (widen) GRAMLITE_RETURN_IF_ERROR(decode_narrow_weights(*copy).status().with_context("widening weights"));
    if (options.optimize) {
      GRAMLITE_RETURN_IF_ERROR(ir::optimize_for_inference(*copy).with_context("optimizing the graph"));
    }
    graph = std::move(copy);
  }
  return std::unique_ptr<Session>(new Session(std::move(graph), std::move(options), std::move(backends)));
}

Status Session::create_kernels(const std::vector<ir::Shape>& shapes) {
  const ir::Graph& graph = *graph_;
  const int threads = gramlite::thread_count(options_.pool);
  std::vector<std::unique_ptr<Kernel>> kernels(graph.nodes.size());
  std::vector<NodePlan> plans(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    const KernelContext context = make_context(graph, node, shapes, threads, options_.fp16_arithmetic);
    std::string reasons;
    for (const Backend* backend : backends_) {
      auto kernel = backend->create_kernel(context);
      if (kernel.ok()) {
        kernels[n] = std::move(kernel).value();
        plans[n] = {node.name, node.kind, backend->name(), kernels[n]->name()};
        break;
      }
      if (kernel.status().code() != StatusCode::kUnsupported) return kernel.status().with_context(node_label(node));
      reasons += str_cat(reasons.empty() ? "" : "; ", backend->name(), ": ", kernel.status().message());
    }
    if (kernels[n] == nullptr) return unsupported(node_label(node), ": no backend runs it (", reasons, ")");
  }
  kernels_ = std::move(kernels);
  node_plans_ = std::move(plans);
  kernels_created_ += kernels_.size();
  return Status::Ok();
}

void Session::reset_plan() {
  prepared_ = false;
  batch_ = 0;
  input_shapes_.clear();
  output_shapes_.clear();
  arena_bytes_ = weight_bytes_ = unshared_bytes_ = 0;
  arena_.reset();
  steps_.clear();
  input_patches_.clear();
  output_sources_.clear();
  output_source_inputs_.clear();
  output_sizes_.clear();
  input_sizes_.clear();
}

Status Session::reshape(int64_t batch) {
  reset_plan();
  if (batch <= 0) return invalid_argument("batch size must be positive, got ", batch);
  const ir::Graph& graph = *graph_;
  for (ir::TensorId id : graph.inputs) {
    const ir::Tensor& input = graph.tensor(id);
    if (input.dtype != ir::DType::kFloat32) {
      return unsupported("graph input '", input.name, "' has dtype ", ir::dtype_name(input.dtype),
                         "; the runtime takes float32 inputs only");
    }
    // A concrete dim 0 stays as declared; planning another batch would read and write fewer images
    // than the caller passes.
    if (!input.shape.empty() && input.shape[0] != ir::kDynamicDim && input.shape[0] != batch) {
      return invalid_argument("graph input '", input.name, "' has a fixed batch dim (shape ",
                              ir::shape_to_string(input.shape), "); it cannot be prepared for batch ", batch);
    }
  }
  for (ir::TensorId id : graph.outputs) {
    // Outputs computed by nodes are checked with their node; a constant output is copied out by
    // run() as float32, so it must be one (an int8 or sparse buffer is smaller than that).
    const ir::Tensor& output = graph.tensor(id);
    if (output.dtype != ir::DType::kFloat32) {  // run() copies float32 out
      return unsupported("graph output '", output.name, "' has dtype ", ir::dtype_name(output.dtype),
                         "; the runtime returns float32 outputs only (end an int8 graph with a Dequantize)");
    }
    if (output.is_constant() &&
        (output.dtype != ir::DType::kFloat32 || output.sparsity.encoding != ir::SparsityEncoding::kDense)) {
      return unsupported("graph output '", output.name, "' is a ", ir::dtype_name(output.dtype), " ",
                         ir::sparsity_encoding_name(output.sparsity.encoding),
                         " constant; the runtime returns dense float32 outputs only");
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::Shape> shapes, ir::infer_shapes_for_batch(graph, batch));
  const int threads = gramlite::thread_count(options_.pool);

  // 1. Kernels: created once (the first reshape), then re-planned for this batch's shapes.
  if (kernels_.size() != graph.nodes.size()) GRAMLITE_RETURN_IF_ERROR(create_kernels(shapes));
  std::unordered_set<ir::TensorId> weights;
  size_t packed_bytes = 0;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    for (ir::TensorId id : node.inputs) {
      if (id != ir::kNoTensor && graph.tensor(id).is_constant()) weights.insert(id);
    }
    const KernelContext context = make_context(graph, node, shapes, threads, options_.fp16_arithmetic);
    GRAMLITE_RETURN_IF_ERROR(kernels_[n]->reshape(context).with_context(node_label(node)));
    packed_bytes += kernels_[n]->packed_weight_bytes();
  }
  for (ir::TensorId id : weights) weight_bytes_ += graph.tensor(id).data.size();
  weight_bytes_ += packed_bytes;

  // 2. Steps: one per node, plus a layout conversion wherever a producer and its consumer (or the
  // caller, for graph outputs, which are NCHW) lay a 4-D activation out differently. A conversion
  // writes a new tensor, numbered after the graph's; later readers of the same layout share it.
  // dtypes and shapes cover those extra tensors too.
  std::vector<ir::DType> dtypes(graph.tensors.size());
  for (size_t t = 0; t < graph.tensors.size(); ++t) dtypes[t] = graph.tensors[t].dtype;
  std::vector<Layout> layout(graph.tensors.size(), Layout::kNchw);
  struct Converted {
    ir::TensorId source;
    Layout to;
    ir::TensorId id;
  };
  std::vector<Converted> converted;
  conversion_kernels_.clear();
  std::vector<Step> steps;
  steps.reserve(graph.nodes.size());
  auto with_layout = [&](ir::TensorId id, Layout want, int node_for_profile) -> ir::TensorId {
    const auto t = static_cast<size_t>(id);
    if (graph.tensor(id).is_constant() || layout[t] == want || !layouts_differ(shapes[t])) return id;
    for (const Converted& c : converted) {
      if (c.source == id && c.to == want) return c.id;
    }
    const auto converted_id = static_cast<ir::TensorId>(shapes.size());
    shapes.push_back(shapes[t]);
    dtypes.push_back(dtypes[t]);
    layout.push_back(want);
    converted.push_back({id, want, converted_id});
    conversion_kernels_.push_back(make_layout_conversion(layout[t], want, dtypes[t], shapes[t]));
    Step step;
    step.kernel = conversion_kernels_.back().get();
    step.node = -1;
    step.profile_node = node_for_profile;
    step.input_ids = {id};
    step.output_ids = {converted_id};
    steps.push_back(std::move(step));
    return converted_id;
  };
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    const Kernel& kernel = *kernels_[n];
    Step step;
    step.kernel = &kernel;
    step.node = static_cast<int>(n);
    step.profile_node = static_cast<int>(n);
    step.is_view = ir::op_traits(node.kind).output_aliases_input;
    for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
      const ir::TensorId id = node.inputs[slot];
      step.input_ids.push_back(id == ir::kNoTensor ? id
                                                   : with_layout(id, kernel.input_layout(slot), static_cast<int>(n)));
    }
    for (size_t slot = 0; slot < node.outputs.size(); ++slot) {
      layout[static_cast<size_t>(node.outputs[slot])] = kernel.output_layout(slot);
      step.output_ids.push_back(node.outputs[slot]);
    }
    steps.push_back(std::move(step));
  }
  std::vector<ir::TensorId> output_ids;
  const std::vector<int> producers = graph.producers();
  for (ir::TensorId id : graph.outputs) {
    output_ids.push_back(with_layout(id, Layout::kNchw, producers[static_cast<size_t>(id)]));
  }
  const size_t tensor_count = shapes.size();
  const int step_count = static_cast<int>(steps.size());

  // 3. Where every tensor lives. A view's output shares its input's location ("root").
  std::vector<ir::TensorId> root(tensor_count);
  for (size_t t = 0; t < tensor_count; ++t) root[t] = static_cast<ir::TensorId>(t);
  for (const Step& step : steps) {
    if (step.is_view && !step.input_ids.empty() && step.input_ids[0] != ir::kNoTensor) {
      root[static_cast<size_t>(step.output_ids[0])] = root[static_cast<size_t>(step.input_ids[0])];
    }
  }
  std::vector<Location> location(tensor_count);
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    location[static_cast<size_t>(graph.inputs[i])] = {Location::Kind::kGraphInput, 0, i, nullptr};
  }
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].is_constant())
      location[t] = {Location::Kind::kConstant, 0, 0, graph.tensors[t].data.data()};
  }

  // 4. Lifetimes of arena buffers: one request per root produced by a step that writes memory,
  // live from its producing step to the last step reading it or any of its views; graph outputs
  // live to the end. Then one request per kernel scratch, live during its step.
  std::vector<BufferRequest> requests;
  std::vector<int> request_of_root(tensor_count, -1);
  for (int s = 0; s < step_count; ++s) {
    for (ir::TensorId id : steps[static_cast<size_t>(s)].output_ids) {
      const auto t = static_cast<size_t>(id);
      if (root[t] != id) continue;  // a view: lives in its root's buffer
      request_of_root[t] = static_cast<int>(requests.size());
      location[t] = {Location::Kind::kArena, requests.size(), 0, nullptr};
      requests.push_back({byte_size(shapes[t], dtypes[t]), s, s});
    }
  }
  auto extend = [&](ir::TensorId id, int step) {
    const int request = request_of_root[static_cast<size_t>(root[static_cast<size_t>(id)])];
    if (request >= 0)
      requests[static_cast<size_t>(request)].last_step =
          std::max(requests[static_cast<size_t>(request)].last_step, step);
  };
  for (int s = 0; s < step_count; ++s) {
    for (ir::TensorId id : steps[static_cast<size_t>(s)].input_ids) {
      if (id != ir::kNoTensor) extend(id, s);
    }
  }
  for (ir::TensorId id : output_ids) extend(id, step_count);
  std::vector<int> scratch_request(steps.size(), -1);
  for (int s = 0; s < step_count; ++s) {
    const size_t bytes = steps[static_cast<size_t>(s)].kernel->scratch_bytes();
    if (bytes == 0) continue;
    scratch_request[static_cast<size_t>(s)] = static_cast<int>(requests.size());
    requests.push_back({bytes, s, s});
  }

  for (const BufferRequest& request : requests) {
    unshared_bytes_ += (request.size + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  }

  // 5. The arena.
  const MemoryPlan plan = plan_memory(requests, kArenaAlignment);
  if (plan.arena_size > 0) {
    void* memory = ::operator new(plan.arena_size, std::align_val_t(kArenaAlignment), std::nothrow);
    if (memory == nullptr) return internal_error("out of memory allocating a ", plan.arena_size, "-byte arena");
    arena_.reset(memory);
  }
  auto* arena = static_cast<uint8_t*>(arena_.get());
  auto arena_bytes = [&](size_t request) -> void* { return arena + plan.offsets[request]; };

  // 6. Pointer tables.
  for (size_t s = 0; s < steps.size(); ++s) {
    Step& step = steps[s];
    for (size_t slot = 0; slot < step.input_ids.size(); ++slot) {
      const ir::TensorId id = step.input_ids[slot];
      const void* pointer = nullptr;
      if (id != ir::kNoTensor) {
        const Location& where = location[static_cast<size_t>(root[static_cast<size_t>(id)])];
        switch (where.kind) {
          case Location::Kind::kArena: pointer = arena_bytes(where.request); break;
          case Location::Kind::kConstant: pointer = where.constant; break;
          case Location::Kind::kGraphInput: input_patches_.push_back({s, slot, where.graph_input}); break;
          case Location::Kind::kNone:
            return internal_error("step ", s, ": input tensor ", id, " has no memory");
        }
      }
      step.inputs.push_back(pointer);
    }
    for (ir::TensorId id : step.output_ids) {
      const Location& where = location[static_cast<size_t>(id)];
      // View outputs are never written; they get no pointer.
      step.outputs.push_back(!step.is_view && where.kind == Location::Kind::kArena ? arena_bytes(where.request)
                                                                                   : nullptr);
    }
    if (scratch_request[s] >= 0) step.scratch = arena_bytes(static_cast<size_t>(scratch_request[s]));
  }
  for (ir::TensorId id : output_ids) {
    const Location& where = location[static_cast<size_t>(root[static_cast<size_t>(id)])];
    output_sources_.push_back(where.kind == Location::Kind::kArena      ? arena_bytes(where.request)
                              : where.kind == Location::Kind::kConstant ? where.constant
                                                                        : nullptr);
    output_source_inputs_.push_back(where.kind == Location::Kind::kGraphInput ? static_cast<int>(where.graph_input)
                                                                              : -1);
    output_sizes_.push_back(element_count_of(shapes[static_cast<size_t>(id)]));
    output_shapes_.push_back(shapes[static_cast<size_t>(id)]);
  }
  for (ir::TensorId id : graph.inputs) {
    input_shapes_.push_back(shapes[static_cast<size_t>(id)]);
    input_sizes_.push_back(element_count_of(shapes[static_cast<size_t>(id)]));
  }
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    NodePlan& node_plan = node_plans_[n];
    node_plan.layout = layout_name(kernels_[n]->output_layout(0));
    node_plan.conversions = 0;
  }
  for (const Step& step : steps) {
    if (step.node < 0 && step.profile_node >= 0) ++node_plans_[static_cast<size_t>(step.profile_node)].conversions;
  }

  if (options_.node_observer) {
    // The observer sees NCHW: NHWC outputs are converted into this buffer first.
    size_t largest = 0;
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      for (size_t o = 0; o < graph.nodes[n].outputs.size(); ++o) {
        const auto t = static_cast<size_t>(graph.nodes[n].outputs[o]);
        if (kernels_[n]->output_layout(o) == Layout::kNhwc && layouts_differ(shapes[t]))
          largest = std::max(largest, byte_size(shapes[t], dtypes[t]));
      }
    }
    observer_buffer_.assign(largest, 0);
    tensor_shapes_ = shapes;
  }
  steps_ = std::move(steps);
  if (options_.profile) node_seconds_.assign(graph.nodes.size(), 0.0);  // run() then only writes
  arena_bytes_ = plan.arena_size;
  batch_ = batch;
  prepared_ = true;
  return Status::Ok();
}

Status Session::run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs) {
  if (!prepared_) return invalid_argument("Session::run before a successful prepare()");
  if (inputs.size() != input_count() || outputs.size() != output_count()) {
    return invalid_argument("Session::run got ", inputs.size(), " inputs and ", outputs.size(),
                            " outputs; the graph has ", input_count(), " and ", output_count());
  }
  for (const InputPatch& patch : input_patches_) steps_[patch.step].inputs[patch.slot] = inputs[patch.graph_input];
  if (options_.profile) {
    std::fill(node_seconds_.begin(), node_seconds_.end(), 0.0);
    for (const Step& step : steps_) {
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run({step.inputs.data(), step.outputs.data(), step.scratch}, options_.pool);
      if (step.profile_node >= 0) {
        node_seconds_[static_cast<size_t>(step.profile_node)] +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
  } else if (options_.node_observer) {
    for (const Step& step : steps_) {
      step.kernel->run({step.inputs.data(), step.outputs.data(), step.scratch}, options_.pool);
      if (step.node < 0) continue;
      const auto s = static_cast<size_t>(step.node);
      const ir::Node& node = graph_->nodes[s];
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        // A view's output is its input's memory.
        const void* data = step.outputs[o] != nullptr ? step.outputs[o] : step.inputs.empty() ? nullptr : step.inputs[0];
        const ir::TensorId id = node.outputs[o];
        const ir::Shape& shape = tensor_shapes_[static_cast<size_t>(id)];
        const ir::DType dtype = graph_->tensor(id).dtype;
        if (step.kernel->output_layout(o) == Layout::kNhwc && layouts_differ(shape) && data != nullptr) {
          transpose_planes(data, observer_buffer_.data(), shape[0], shape[2] * shape[3], shape[1],
                           ir::dtype_size(dtype), options_.pool);
          data = observer_buffer_.data();
        }
        options_.node_observer({s, id, dtype, &shape, data});
      }
    }
  } else {
    for (const Step& step : steps_) {
      step.kernel->run({step.inputs.data(), step.outputs.data(), step.scratch}, options_.pool);
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const void* source =
        output_source_inputs_[i] >= 0 ? inputs[static_cast<size_t>(output_source_inputs_[i])] : output_sources_[i];
    if (output_sizes_[i] > 0 && source != outputs[i]) std::memcpy(outputs[i], source, output_sizes_[i] * sizeof(float));
  }
  return Status::Ok();
}

Result<std::vector<std::vector<float>>> Session::run(const std::vector<std::vector<float>>& inputs) {
  if (!prepared_) return invalid_argument("Session::run before a successful prepare()");
  if (inputs.size() != input_count()) {
    return invalid_argument("Session::run got ", inputs.size(), " inputs; the graph has ", input_count());
  }
  std::vector<const float*> input_pointers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].size() != input_sizes_[i]) {
      return invalid_argument("input '", graph_->tensor(graph_->inputs[i]).name, "' has ", inputs[i].size(),
                              " values; shape ", ir::shape_to_string(input_shapes_[i]), " needs ", input_sizes_[i]);
    }
    input_pointers.push_back(inputs[i].data());
  }
  std::vector<std::vector<float>> outputs(output_count());
  std::vector<float*> output_pointers;
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].resize(output_sizes_[i]);
    output_pointers.push_back(outputs[i].data());
  }
  GRAMLITE_RETURN_IF_ERROR(run(input_pointers, output_pointers));
  return outputs;
}

}  // namespace gramlite::runtime
