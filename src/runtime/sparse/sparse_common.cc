#include "runtime/sparse/sparse_common.h"

#include <atomic>

#include "runtime/sparse/sparse.h"

namespace gramlite::runtime::sparse {
namespace {

std::atomic<CodePath> g_max_path{CodePath::kAvx512Vnni};

CodePath lower(CodePath a, CodePath b) { return static_cast<uint8_t>(a) < static_cast<uint8_t>(b) ? a : b; }

CodePath cpu_s8_path() {
#if GRAMLITE_SPARSE_X86
  static const CodePath path = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vnni")) {
      return CodePath::kAvx512Vnni;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CodePath::kAvx2;
    return CodePath::kScalar;
  }();
  return path;
#elif GRAMLITE_SPARSE_NEON
  return CodePath::kNeon;
#else
  return CodePath::kScalar;
#endif
}

}  // namespace

const char* code_path_name(CodePath path) {
  switch (path) {
    case CodePath::kScalar: return "scalar";
    case CodePath::kNeon: return "neon";
    case CodePath::kAvx2: return "avx2";
    case CodePath::kAvx512Vnni: return "avx512vnni";
  }
  return "scalar";
}

void set_max_code_path(CodePath path) { g_max_path.store(path); }
CodePath max_code_path() { return g_max_path.load(); }

CodePath best_s8_path() { return lower(cpu_s8_path(), max_code_path()); }
CodePath best_f32_path() { return lower(cpu_s8_path(), max_code_path()); }

const char* s8_code_path() { return code_path_name(best_s8_path()); }
const char* f32_code_path() { return code_path_name(best_f32_path()); }

double zero_fraction(const float* weights, size_t count) {
  if (count == 0) return 0.0;
  size_t zeros = 0;
  for (size_t i = 0; i < count; ++i) zeros += weights[i] == 0.0f;
  return static_cast<double>(zeros) / static_cast<double>(count);
}

double zero_block_fraction(const int8_t* weights, int64_t out, int64_t in) {
  const int64_t blocks_per_row = (in + 3) / 4;
  if (out == 0 || blocks_per_row == 0) return 0.0;
  int64_t zeros = 0;
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t b = 0; b < blocks_per_row; ++b) {
      bool zero = true;
      for (int64_t c = b * 4; c < b * 4 + 4 && c < in; ++c) zero = zero && weights[o * in + c] == 0;
      zeros += zero;
    }
  }
  return static_cast<double>(zeros) / static_cast<double>(out * blocks_per_row);
}

Result<Geometry> plan_geometry(const KernelContext& context) {
  const ir::Node& node = context.node;
  if (context.inputs.size() < 2 || !context.inputs[1].present) return unsupported("sparse: no weight");
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& w = context.inputs[1].shape;
  Geometry g;
  if (node.kind == ir::OpKind::kConv2d) {
    const auto& a = node.attr<ir::Conv2dAttrs>();
    if (a.kernel_h != 1 || a.kernel_w != 1 || a.stride_h != 1 || a.stride_w != 1 || a.groups != 1 ||
        a.padding.top != 0 || a.padding.left != 0 || a.padding.bottom != 0 || a.padding.right != 0) {
      return unsupported("sparse: only 1x1 stride-1 unpadded ungrouped convolutions");
    }
    if (x.size() != 4 || w.size() != 4 || w[1] != x[1] || w[2] != 1 || w[3] != 1) {
      return unsupported("sparse: conv shapes are not [N, C, H, W] x [O, C, 1, 1]");
    }
    g.pixels = x[0] * x[2] * x[3];
  } else if (node.kind == ir::OpKind::kLinear) {
    if (x.size() != 2 || w.size() != 2 || w[1] != x[1]) return unsupported("sparse: Linear shapes are not [N, C] x [O, C]");
    g.pixels = x[0];
  } else {
    return unsupported("sparse: only 1x1 Conv2d and Linear");
  }
  g.in = w[1];
  g.out = w[0];
  if (g.pixels < 0 || g.in <= 0 || g.out <= 0) return unsupported("sparse: dynamic or empty shape");
  if (context.inputs.size() > 2 && context.inputs[2].present && context.inputs[2].shape != ir::Shape{g.out}) {
    return unsupported("sparse: bias shape is not [out]");
  }
  return g;
}

}  // namespace gramlite::runtime::sparse
