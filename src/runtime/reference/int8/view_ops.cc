#include "runtime/reference/int8/view_ops.h"

#include "runtime/reference/int8/int8_common.h"
#include "runtime/reference/view_ops.h"

namespace gramlite::runtime::reference {

Result<std::unique_ptr<Kernel>> create_view_s8_kernel(const KernelContext& context) {
  GRAMLITE_ASSIGN_OR_RETURN(const int8::InOutQuant q, int8::unary_quant(context));
  if (!int8::same_quant(q.in, q.out)) {
    return invalid_argument(ir::op_kind_name(context.node.kind), " output '", context.outputs[0].tensor->name,
                            "' has scale ", q.out.scale, " and zero point ", q.out.zero_point, "; its input has ",
                            q.in.scale, " and ", q.in.zero_point, " (a view shares its input's bytes and params)");
  }
  // The float view kernel checks element counts and does nothing when run: bytes are bytes.
  return create_view_kernel(context);
}

}  // namespace gramlite::runtime::reference
