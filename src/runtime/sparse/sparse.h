// The sparse backend: 1x1 convolutions (and Linear layers, as 1x1 convolutions over one pixel)
// whose weights are mostly zero, NHWC like the fast backends (docs/runtime.md, "Sparse kernels").
//
//   float32  unstructured: per output channel the indices and values of its non-zero weights; a
//            tile of kTile pixels is transposed into scratch (one row of pixels per input channel),
//            so each non-zero weight is one broadcast and kTile / 8 FMAs over pixel vectors; results
//            go back to NHWC in groups of 8 output channels.
//   int8     1x4 blocks (one output channel x 4 consecutive input channels, kept when any of its 4
//            weights is non-zero): s8 activations, s8 per-channel weights, int32 bias with the
//            input zero point folded in at creation, requantized in float32 with round to nearest
//            even as XNNPACK and oneDNN do. AVX-512 VNNI (vpdpbusd: one block is one u8 x s8 dot
//            product of 4), AVX2 (inputs widened to int16, vpmaddwd on weight pairs: exact), NEON
//            (vmlal) and a scalar fallback; the path is chosen once per process from the CPU.
//
// The backend declines a layer whose sparsity is below the measured break-even (below), so the
// dense kernels of onednn / xnnpack run it.
#pragma once

#include <memory>
#include <vector>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::sparse {

// Break-even sparsities, below which the dense kernels are at least as fast. Measured with
// bench/sparse_conv_bench.cc (MobileNet v1's 1x1 shapes at 56x56..7x7 pixels, 1 thread, against
// the default dense kernel of the same shape; docs/runtime.md, "Sparse kernels", has the table):
//   build-*/bench/sparse_conv_bench --benchmark_min_time=0.1
// on the 2-core AVX-512 VNNI Xeon (2026-12-01, a loaded machine), dense = oneDNN's brgemm 1x1.
// fp32 (fraction of zero weights, AVX-512 path): break-even 56-72 % on 7 of the 8 shapes; the
// narrowest (64 -> 128 at 56x56, little work per transposed input) 54-93 % over two runs.
inline constexpr double kF32MinSparsity = 0.70;
// int8 (fraction of all-zero 1x4 blocks, VNNI path): break-even 55-72 % on 7 of the 8 shapes,
// 86 % on 64 -> 128 at 56x56. Unstructured 90 % zeros leave about 1 - 0.9^4 = 66 % of the
// blocks zero, below it: such layers run dense, and int8 speed needs pruning in 1x4 blocks.
inline constexpr double kS8MinBlockSparsity = 0.70;

// Pixels per tile (columns of the transposed input): 4 AVX2 vectors of floats.
inline constexpr int kTile = 32;

// The fraction of zero values among `count` floats.
double zero_fraction(const float* weights, size_t count);
// The fraction of all-zero 1x4 blocks of an [out, in] int8 weight (the last block of a row is
// padded with zeros when `in` is not a multiple of 4).
double zero_block_fraction(const int8_t* weights, int64_t out, int64_t in);

// Which vector code the int8 kernels run on this CPU: "avx512vnni", "avx2", "neon" or "scalar";
// and the float32 kernels: "avx2", "neon" or "scalar".
const char* s8_code_path();
const char* f32_code_path();

// The factories: a 1x1 stride-1 unpadded ungrouped Conv2d or a Linear, with weights at least
// `min_sparsity` sparse (a benchmark passes 0 to time any sparsity); kUnsupported otherwise.
Result<std::unique_ptr<Kernel>> create_f32(const KernelContext& context, double min_sparsity = kF32MinSparsity);
Result<std::unique_ptr<Kernel>> create_s8(const KernelContext& context, double min_block_sparsity = kS8MinBlockSparsity);

}  // namespace gramlite::runtime::sparse
