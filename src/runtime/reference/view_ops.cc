#include "runtime/reference/view_ops.h"

namespace gramlite::runtime::reference {
namespace {

// A view's output is its input's memory (the session plans them as one buffer): nothing to run.
struct ViewParams {};

Result<ViewParams> plan_view(const KernelContext& context) {
  if (context.inputs.empty() || context.outputs.size() != 1) {
    return invalid_argument(ir::op_kind_name(context.node.kind), " takes one input and has one output");
  }
  if (element_count_of(context.inputs[0].shape) != element_count_of(context.outputs[0].shape)) {
    return invalid_argument(ir::op_kind_name(context.node.kind),
                            " changes the element count: ", ir::shape_to_string(context.inputs[0].shape), " -> ",
                            ir::shape_to_string(context.outputs[0].shape));
  }
  return ViewParams{};
}

void run_view(const ViewParams& /*params*/, const KernelIo& /*io*/, ThreadPool* /*pool*/) {}

}  // namespace

Result<std::unique_ptr<Kernel>> create_view_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<ViewParams>(context, snake_case_op_name(context.node.kind) + "_view", plan_view,
                                         run_view);
}

}  // namespace gramlite::runtime::reference
