#include "runtime/reference/pad.h"

#include <algorithm>
#include <cstring>

namespace gramlite::runtime::reference {
namespace {

void run_pad(const PadParams& p, const KernelIo& io, ThreadPool* pool) {
  pad_f32(p, input_f32(io, 0), output_f32(io, 0), pool);
}

}  // namespace

Result<PadParams> make_pad_params(const ir::Shape& input_shape, const std::vector<int64_t>& pads, float value) {
  const size_t rank = input_shape.size();
  if (rank == 0 || rank > static_cast<size_t>(kMaxPadRank)) {
    return unsupported("Pad of a rank-", rank, " tensor (supported: 1..", kMaxPadRank, ")");
  }
  if (pads.size() != 2 * rank)
    return invalid_argument("Pad has ", pads.size(), " pads for rank ", rank, ", expected ", 2 * rank);
  PadParams p;
  p.rank = static_cast<int>(rank);
  p.value = value;
  for (size_t d = 0; d < rank; ++d) {
    p.in_dims[d] = input_shape[d];
    p.begins[d] = pads[d];
    p.out_dims[d] = input_shape[d] + pads[d] + pads[d + rank];
    if (p.out_dims[d] < 0) return invalid_argument("Pad makes dim ", d, " negative");
  }
  return p;
}

void pad_f32(const PadParams& p, const float* input, float* output, ThreadPool* pool) {
  const int last = p.rank - 1;
  const int64_t out_row = p.out_dims[last];
  const int64_t in_row = p.in_dims[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= p.out_dims[d];
  // Output columns [copy_begin, copy_end) come from input columns shifted by begins[last].
  const int64_t copy_begin = std::clamp<int64_t>(p.begins[last], 0, out_row);
  const int64_t copy_end = std::clamp<int64_t>(in_row + p.begins[last], copy_begin, out_row);
  parallel_for(pool, rows, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      float* y = output + row * out_row;
      // The input row this output row reads, or -1 if it lies in the padding.
      int64_t in_offset = 0, in_stride = in_row, rest = row;
      bool inside = true;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t i = rest % p.out_dims[d] - p.begins[d];
        rest /= p.out_dims[d];
        if (i < 0 || i >= p.in_dims[d]) {
          inside = false;
          break;
        }
        in_offset += i * in_stride;
        in_stride *= p.in_dims[d];
      }
      if (!inside || copy_begin >= copy_end) {
        std::fill(y, y + out_row, p.value);
        continue;
      }
      std::fill(y, y + copy_begin, p.value);
      std::memcpy(y + copy_begin, input + in_offset + (copy_begin - p.begins[last]),
                  static_cast<size_t>(copy_end - copy_begin) * sizeof(float));
      std::fill(y + copy_end, y + out_row, p.value);
    }
  });
}

Result<PadParams> plan_pad(const KernelContext& context) {
  if (context.inputs.empty() || context.outputs.size() != 1) {
    return invalid_argument("Pad takes one input and has one output");
  }
  const ir::PadAttrs& a = context.node.attr<ir::PadAttrs>();
  GRAMLITE_ASSIGN_OR_RETURN(PadParams params, make_pad_params(context.inputs[0].shape, a.pads, a.value));
  const ir::Shape expected(params.out_dims, params.out_dims + params.rank);
  if (context.outputs[0].shape != expected) {
    return invalid_argument("Pad output shape ", ir::shape_to_string(context.outputs[0].shape), " is not ",
                            ir::shape_to_string(expected));
  }
  return params;
}

Result<std::unique_ptr<Kernel>> create_pad_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<PadParams>(context, "pad_f32", plan_pad, run_pad);
}

}  // namespace gramlite::runtime::reference
