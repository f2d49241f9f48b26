#include "runtime/reference/concat.h"

#include <cstring>

namespace gramlite::runtime::reference {
namespace {

struct ConcatParams {
  std::vector<int64_t> row_lengths;
  int64_t outer = 0;
};

Result<ConcatParams> plan_concat(const KernelContext& context) {
  if (context.inputs.empty() || context.outputs.size() != 1) {
    return invalid_argument("Concat takes at least one input and has one output");
  }
  const ir::Shape& out = context.outputs[0].shape;
  const int64_t rank = static_cast<int64_t>(out.size());
  int64_t axis = context.node.attr<ir::ConcatAttrs>().axis;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    return invalid_argument("Concat axis ", context.node.attr<ir::ConcatAttrs>().axis, " is out of range for rank ",
                            rank);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= out[static_cast<size_t>(d)];
  std::vector<int64_t> row_lengths;
  int64_t total = 0;
  for (const TensorDesc& input : context.inputs) {
    const ir::Shape& in = input.shape;
    if (static_cast<int64_t>(in.size()) != rank) return invalid_argument("Concat inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && in[static_cast<size_t>(d)] != out[static_cast<size_t>(d)]) {
        return invalid_argument("Concat input ", ir::shape_to_string(in), " does not match output ",
                                ir::shape_to_string(out), " outside axis ", axis);
      }
    }
    row_lengths.push_back(in[static_cast<size_t>(axis)] * inner);
    total += in[static_cast<size_t>(axis)];
  }
  if (total != out[static_cast<size_t>(axis)]) return invalid_argument("Concat output dim does not sum the inputs'");
  return ConcatParams{std::move(row_lengths), outer};
}

void run_concat(const ConcatParams& p, const KernelIo& io, ThreadPool* pool) {
  // Every input of a float32 Concat is a float array; the pointer table holds them as void*.
  concat_f32(reinterpret_cast<const float* const*>(io.inputs), p.row_lengths, p.outer, output_f32(io, 0), pool);
}

}  // namespace

void concat_f32(const float* const* inputs, const std::vector<int64_t>& row_lengths, int64_t outer, float* output,
                ThreadPool* pool) {
  int64_t out_row = 0;
  for (int64_t length : row_lengths) out_row += length;
  parallel_for(pool, outer, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      float* dst = output + o * out_row;
      for (size_t i = 0; i < row_lengths.size(); ++i) {
        const int64_t length = row_lengths[i];
        if (length > 0) std::memcpy(dst, inputs[i] + o * length, static_cast<size_t>(length) * sizeof(float));
        dst += length;
      }
    }
  });
}

Result<std::unique_ptr<Kernel>> create_concat_kernel(const KernelContext& context) {
  GRAMLITE_RETURN_IF_ERROR(require_no_fused_activation(context.node));
  return make_planned_kernel<ConcatParams>(context, "concat_f32", plan_concat, run_concat);
}

}  // namespace gramlite::runtime::reference
