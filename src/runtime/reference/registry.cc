// The reference backend's table: one line per (op kind, dtype). Every op kind has a float32
// reference kernel (checked below), so the session can always fall back here.
#include "gramlite/runtime/backend.h"
#include "runtime/reference/activation.h"
#include "runtime/reference/avg_pool.h"
#include "runtime/reference/batch_norm.h"
#include "runtime/reference/binary_elementwise.h"
#include "runtime/reference/concat.h"
#include "runtime/reference/conv2d.h"
#include "runtime/reference/global_avg_pool.h"
#include "runtime/reference/int8/activation.h"
#include "runtime/reference/int8/binary.h"
#include "runtime/reference/int8/concat.h"
#include "runtime/reference/int8/conv2d.h"
#include "runtime/reference/int8/linear.h"
#include "runtime/reference/int8/pad.h"
#include "runtime/reference/int8/pool.h"
#include "runtime/reference/int8/quantize.h"
#include "runtime/reference/int8/view_ops.h"
#include "runtime/reference/linear.h"
#include "runtime/reference/max_pool.h"
#include "runtime/reference/pad.h"
#include "runtime/reference/softmax.h"
#include "runtime/reference/view_ops.h"

namespace gramlite::runtime {
namespace {

using ir::DType;
using ir::OpKind;

constexpr KernelRegistration kReferenceKernels[] = {
    {OpKind::kConv2d, DType::kFloat32, reference::create_conv2d_kernel},
    {OpKind::kBatchNorm, DType::kFloat32, reference::create_batch_norm_kernel},
    {OpKind::kRelu, DType::kFloat32, reference::create_activation_kernel},
    {OpKind::kRelu6, DType::kFloat32, reference::create_activation_kernel},
    {OpKind::kHardSwish, DType::kFloat32, reference::create_activation_kernel},
    {OpKind::kHardSigmoid, DType::kFloat32, reference::create_activation_kernel},
    {OpKind::kSigmoid, DType::kFloat32, reference::create_activation_kernel},
    {OpKind::kAdd, DType::kFloat32, reference::create_binary_elementwise_kernel},
    {OpKind::kMul, DType::kFloat32, reference::create_binary_elementwise_kernel},
    {OpKind::kConcat, DType::kFloat32, reference::create_concat_kernel},
    {OpKind::kMaxPool, DType::kFloat32, reference::create_max_pool_kernel},
    {OpKind::kAvgPool, DType::kFloat32, reference::create_avg_pool_kernel},
    {OpKind::kGlobalAvgPool, DType::kFloat32, reference::create_global_avg_pool_kernel},
    {OpKind::kFlatten, DType::kFloat32, reference::create_view_kernel},
    {OpKind::kReshape, DType::kFloat32, reference::create_view_kernel},
    {OpKind::kLinear, DType::kFloat32, reference::create_linear_kernel},
    {OpKind::kDropout, DType::kFloat32, reference::create_view_kernel},
    {OpKind::kSoftmax, DType::kFloat32, reference::create_softmax_kernel},
    {OpKind::kPad, DType::kFloat32, reference::create_pad_kernel},
    {OpKind::kQuantize, DType::kFloat32, reference::create_quantize_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kDequantize, DType::kInt8, reference::create_dequantize_kernel},
    // int8 kernels (src/runtime/reference/int8/): each factory checks every tensor's dtype and
    // quantization parameters itself.
    {OpKind::kConv2d, DType::kInt8, reference::create_conv2d_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kLinear, DType::kInt8, reference::create_linear_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kAdd, DType::kInt8, reference::create_binary_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kMul, DType::kInt8, reference::create_binary_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kMaxPool, DType::kInt8, reference::create_max_pool_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kAvgPool, DType::kInt8, reference::create_avg_pool_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kGlobalAvgPool, DType::kInt8, reference::create_global_avg_pool_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kConcat, DType::kInt8, reference::create_concat_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kRelu, DType::kInt8, reference::create_activation_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kRelu6, DType::kInt8, reference::create_activation_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kHardSwish, DType::kInt8, reference::create_activation_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kHardSigmoid, DType::kInt8, reference::create_activation_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kSigmoid, DType::kInt8, reference::create_activation_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kFlatten, DType::kInt8, reference::create_view_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kReshape, DType::kInt8, reference::create_view_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kDropout, DType::kInt8, reference::create_view_s8_kernel, /*factory_checks_dtypes=*/true},
    {OpKind::kPad, DType::kInt8, reference::create_pad_s8_kernel, /*factory_checks_dtypes=*/true},
};

// Dequantize reads int8 by definition; every other op kind must run in float32 here.
constexpr bool every_op_has_a_float_kernel() {
  for (int kind = 0; kind < static_cast<int>(OpKind::kCount); ++kind) {
    if (kind == static_cast<int>(OpKind::kDequantize)) continue;
    bool found = false;
    for (const KernelRegistration& registration : kReferenceKernels) {
      found = found || (static_cast<int>(registration.kind) == kind && registration.dtype == DType::kFloat32);
    }
    if (!found) return false;
  }
  return true;
}
static_assert(every_op_has_a_float_kernel(), "every op kind needs a float32 reference kernel line here");

}  // namespace

const Backend& reference_backend() {
  static const TableBackend backend("reference", kReferenceKernels, std::size(kReferenceKernels));
  return backend;
}

}  // namespace gramlite::runtime
