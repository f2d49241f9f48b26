// Prints the clock the core runs at under load, in GHz: a chain of dependent integer adds retires
// one add per cycle on every x86 core of the last two decades, so adds per second is the clock,
// turbo included. bench/peers/run.sh uses it for the fp32 peak (16 MAC per cycle per core),
// because /proc/cpuinfo's 'cpu MHz' on a VM is often the base clock, far below what cores run at.
#include <chrono>
#include <cstdint>
#include <cstdio>

int main() {
#if defined(__x86_64__)
  constexpr int64_t kIterations = 50'000'000;  // x 16 adds: ~0.25 s at 3 GHz
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    uint64_t x = 0;
    volatile uint64_t one_source = 1;
    const uint64_t one = one_source;  // a register operand: some cores fold adds of immediates at rename
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < kIterations; ++i) {
      asm volatile(
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
          "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
          : "+r"(x)
          : "r"(one));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (x != static_cast<uint64_t>(kIterations) * 16) return 1;
    const double ghz = static_cast<double>(x) / seconds / 1e9;
    if (ghz > best) best = ghz;
  }
  std::printf("%.3f\n", best);
  return 0;
#else
  std::fprintf(stderr, "cpu_clock: x86-64 only\n");
  return 2;
#endif
}
