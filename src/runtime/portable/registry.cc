// The portable backend's table: one line per (op kind, dtype). Ops without a line here run on the
// next backend in the session's list (at the latest the reference backend).
#include "gramlite/runtime/backend.h"
#include "runtime/portable/binary_elementwise.h"
#include "runtime/portable/conv2d.h"
#include "runtime/portable/linear.h"

namespace gramlite::runtime {
namespace {

using ir::DType;
using ir::OpKind;

constexpr KernelRegistration kPortableKernels[] = {
    {OpKind::kConv2d, DType::kFloat32, portable::create_conv2d_kernel},
    {OpKind::kLinear, DType::kFloat32, portable::create_linear_kernel},
    {OpKind::kAdd, DType::kFloat32, portable::create_binary_elementwise_kernel},
    {OpKind::kMul, DType::kFloat32, portable::create_binary_elementwise_kernel},
};

}  // namespace

const Backend& portable_backend() {
  static const TableBackend backend("portable", kPortableKernels, std::size(kPortableKernels));
  return backend;
}

}  // namespace gramlite::runtime
