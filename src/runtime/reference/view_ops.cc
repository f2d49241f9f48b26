#include "runtime/reference/view_ops.h"

namespace gramlite::runtime::reference {
namespace {

class ViewKernel final : public Kernel {
 public:
  void run(const KernelIo& /*io*/, ThreadPool* /*pool*/) const override {}
};

}  // namespace

bool is_view_op(ir::OpKind kind) {
  return kind == ir::OpKind::kFlatten || kind == ir::OpKind::kReshape || kind == ir::OpKind::kDropout;
}

Result<std::unique_ptr<Kernel>> create_view_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  if (context.input_shapes.empty() || context.output_shapes.size() != 1) {
    return invalid_argument(ir::op_kind_name(context.node.kind), " takes one input and has one output");
  }
  if (element_count_of(context.input_shapes[0]) != element_count_of(context.output_shapes[0])) {
    return invalid_argument(ir::op_kind_name(context.node.kind),
                            " changes the element count: ", ir::shape_to_string(context.input_shapes[0]), " -> ",
                            ir::shape_to_string(context.output_shapes[0]));
  }
  return std::unique_ptr<Kernel>(std::make_unique<ViewKernel>());
}

}  // namespace gramlite::runtime::reference
