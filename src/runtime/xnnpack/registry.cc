// The XNNPACK backend's table: one line per (op kind, dtype). Everything it declines runs on the
// next backend, with the session converting layouts at the boundary.
#include "gramlite/runtime/backend.h"
#include "runtime/xnnpack/ops.h"

namespace gramlite::runtime {
namespace {

using ir::DType;
using ir::OpKind;

constexpr KernelRegistration kXnnpackKernels[] = {
    {OpKind::kConv2d, DType::kFloat32, xnnpack::create_conv2d_f32},
    {OpKind::kLinear, DType::kFloat32, xnnpack::create_linear_f32},
    {OpKind::kAdd, DType::kFloat32, xnnpack::create_binary_f32},
    {OpKind::kMul, DType::kFloat32, xnnpack::create_binary_f32},
    {OpKind::kRelu, DType::kFloat32, xnnpack::create_clamp_f32},
    {OpKind::kRelu6, DType::kFloat32, xnnpack::create_clamp_f32},
    {OpKind::kMaxPool, DType::kFloat32, xnnpack::create_max_pool_f32},
    {OpKind::kAvgPool, DType::kFloat32, xnnpack::create_avg_pool_f32},
    {OpKind::kGlobalAvgPool, DType::kFloat32, xnnpack::create_global_avg_pool_f32},
    {OpKind::kConcat, DType::kFloat32, xnnpack::create_concat},
    {OpKind::kSoftmax, DType::kFloat32, xnnpack::create_softmax_f32},
    {OpKind::kFlatten, DType::kFloat32, xnnpack::create_view},
    {OpKind::kReshape, DType::kFloat32, xnnpack::create_view},
    {OpKind::kDropout, DType::kFloat32, xnnpack::create_view},
    {OpKind::kQuantize, DType::kFloat32, xnnpack::create_quantize, true},
    {OpKind::kConv2d, DType::kInt8, xnnpack::create_conv2d_s8, true},
    {OpKind::kLinear, DType::kInt8, xnnpack::create_linear_s8, true},
    {OpKind::kAdd, DType::kInt8, xnnpack::create_add_s8, true},
    {OpKind::kRelu, DType::kInt8, xnnpack::create_clamp_s8, true},
    {OpKind::kRelu6, DType::kInt8, xnnpack::create_clamp_s8, true},
    {OpKind::kMaxPool, DType::kInt8, xnnpack::create_max_pool_s8, true},
    {OpKind::kAvgPool, DType::kInt8, xnnpack::create_avg_pool_s8, true},
    {OpKind::kGlobalAvgPool, DType::kInt8, xnnpack::create_global_avg_pool_s8, true},
    {OpKind::kConcat, DType::kInt8, xnnpack::create_concat, true},
    {OpKind::kFlatten, DType::kInt8, xnnpack::create_view, true},
    {OpKind::kReshape, DType::kInt8, xnnpack::create_view, true},
    {OpKind::kDropout, DType::kInt8, xnnpack::create_view, true},
    {OpKind::kDequantize, DType::kInt8, xnnpack::create_dequantize, true},
};

}  // namespace

const Backend& xnnpack_backend() {
  static const TableBackend backend("xnnpack", kXnnpackKernels, std::size(kXnnpackKernels));
  return backend;
}

}  // namespace gramlite::runtime
