// The sparse backend's table (runtime/sparse/sparse.h): first in the default order, it takes only
// 1x1 convolutions and Linear layers sparse enough to beat the dense kernels, and declines the rest.
#include "gramlite/runtime/backend.h"
#include "runtime/sparse/sparse.h"

namespace gramlite::runtime {
namespace {

Result<std::unique_ptr<Kernel>> create_sparse_f32(const KernelContext& context) { return sparse::create_f32(context); }
Result<std::unique_ptr<Kernel>> create_sparse_s8(const KernelContext& context) { return sparse::create_s8(context); }

constexpr KernelRegistration kSparseKernels[] = {
    {ir::OpKind::kConv2d, ir::DType::kFloat32, create_sparse_f32},
    {ir::OpKind::kLinear, ir::DType::kFloat32, create_sparse_f32},
    {ir::OpKind::kConv2d, ir::DType::kInt8, create_sparse_s8, true},
    {ir::OpKind::kLinear, ir::DType::kInt8, create_sparse_s8, true},
};

}  // namespace

const Backend& sparse_backend() {
  static const TableBackend backend("sparse", kSparseKernels, std::size(kSparseKernels));
  return backend;
}

}  // namespace gramlite::runtime
