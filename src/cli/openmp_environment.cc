// Passive waiting for libtorch's OpenMP workers, in force before any library starts.
//
// libtorch (Debian's, built with GCC) runs its intra-op threads on libgomp, whose workers spin
// while they wait for the next parallel region. On a machine where another process is busy, a
// spinning worker burns the time slice its descheduled peer needs: epochs of the same tiny `train`
// took 5.6 s or 62 s depending on the neighbour (bench/train_under_load.sh). OMP_WAIT_POLICY=PASSIVE
// makes them sleep instead. OPENBLAS_NUM_THREADS=1 for the same reason: libtorch's convolutions
// call BLAS from inside its own parallel loops, and OpenBLAS's pthread build would start threads of
// its own beneath them (the runtime sets OpenBLAS to one thread itself, runtime/gemm.cc).
//
// Both libraries read their environment once, in constructors that run when they are loaded,
// before main(). setenv() in main() is too late, and so is setenv() in an .preinit_array function:
// glibc's own initialisation, which runs after it, resets `environ` to the original block. So the
// training commands re-execute themselves, from .preinit_array (before any constructor has run,
// so the first start costs only the loading), with the variables added. A value the user set is
// kept; when nothing is missing, or /proc/self/exe cannot be executed, the process just goes on.
#include <unistd.h>

#include <cstring>
#include <iterator>

#include "cli/training_helper.h"

namespace {

constexpr const char* kSettings[] = {"OMP_WAIT_POLICY=PASSIVE", "OPENBLAS_NUM_THREADS=1"};
constexpr size_t kMaxEnvironment = 4096;

bool has_variable(char** envp, const char* setting) {
  const size_t name_length = static_cast<size_t>(std::strchr(setting, '=') - setting) + 1;  // "NAME="
  for (char** e = envp; *e != nullptr; ++e) {
    if (std::strncmp(*e, setting, name_length) == 0) return true;
  }
  return false;
}

// Only the commands that may load libtorch's threads (quantize: --qat) pay for the second start.
bool is_training_command(int argc, char** argv) {
  if (argc < 2) return false;
  for (const char* training : gramlite::cli::kTrainingCommands) {
    if (std::strcmp(argv[1], training) == 0) return true;
  }
  return std::strcmp(argv[1], "quantize") == 0;
}

// No allocation here: the C library is not initialised yet.
void reexec_with_passive_openmp(int argc, char** argv, char** envp) {
  if (envp == nullptr || !is_training_command(argc, argv)) return;
  static char* environment[kMaxEnvironment];
  size_t n = 0;
  for (char** e = envp; *e != nullptr; ++e) {
    if (n + 1 + std::size(kSettings) >= kMaxEnvironment) return;
    environment[n++] = *e;
  }
  const size_t given = n;
  for (const char* setting : kSettings) {
    if (!has_variable(envp, setting)) environment[n++] = const_cast<char*>(setting);
  }
  if (n == given) return;
  environment[n] = nullptr;
  ::execve("/proc/self/exe", argv, environment);  // returns only on failure: go on as we are
}

}  // namespace

// The array entry is the mechanism: the dynamic loader calls it before every shared library's
// constructors (the ELF gABI's DT_PREINIT_ARRAY, executables only).
__attribute__((section(".preinit_array"), used)) static void (*const preinit_passive_openmp)(int, char**, char**) =
    &reexec_with_passive_openmp;
