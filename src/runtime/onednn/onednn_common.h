// What the oneDNN kernels share: one CPU engine for the process, and a clean exit from AVX code.
#pragma once

#include <dnnl.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gramlite::runtime::onednn {

inline dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Whether oneDNN dispatches to VNNI kernels on this CPU (vpdpbusd adds u8 x s8 products in int32).
// Asked of oneDNN, so DNNL_MAX_CPU_ISA lowers it as it lowers the kernels.
inline bool cpu_has_vnni() {
  using isa = dnnl::cpu_isa;
  const isa effective = dnnl::get_effective_cpu_isa();
  return effective == isa::avx2_vnni || effective == isa::avx512_core_vnni || effective == isa::avx512_core_bf16 ||
         effective == isa::avx512_core_amx;
}

// Whether oneDNN dispatches to its AVX-512 kernels on this CPU.
inline bool cpu_has_avx512() {
  using isa = dnnl::cpu_isa;
  const isa effective = dnnl::get_effective_cpu_isa();
  return effective == isa::avx512_core || effective == isa::avx512_core_vnni || effective == isa::avx512_core_bf16 ||
         effective == isa::avx512_core_amx;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx"))) inline void zero_upper_halves() { _mm256_zeroupper(); }
#endif

// Some of oneDNN 2.6's JIT kernels return with the upper halves of the vector registers dirty.
// The next legacy-SSE code (this build's baseline: the Quantize kernel, our loops) then pays the
// AVX-SSE transition penalty, and the whole graph with it: MobileNetV2 int8 at 1 thread swung
// between 4.5 and 7.5 ms from run to run, and stays at 4.5 ms with a vzeroupper after each
// primitive (measured). Costs one instruction where the CPU has AVX, nothing elsewhere.
inline void clean_upper_vector_state() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has_avx = __builtin_cpu_supports("avx");
  if (has_avx) zero_upper_halves();
#endif
}

}  // namespace gramlite::runtime::onednn
