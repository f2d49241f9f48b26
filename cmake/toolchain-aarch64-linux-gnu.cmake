# Cross-compiling gramlite for Linux arm64 on a Debian x86-64 host (scripts/cross-arm64.sh).
#   crossbuild-essential-arm64  aarch64-linux-gnu-gcc/g++, the arm64 libc in /usr/aarch64-linux-gnu
#   multiarch arm64 packages     libgtest-dev:arm64 etc. in /usr/lib/aarch64-linux-gnu
#   GRAMLITE_ARM64_ROOT          arm64 packages that are not Multi-Arch (libxnnpack*, libpthreadpool*:
#                                installing their :arm64 would remove the amd64 ones and libtorch),
#                                unpacked with dpkg-deb -x; default <source>/build-arm64-root
#   qemu-aarch64                 runs the tests (CMAKE_CROSSCOMPILING_EMULATOR: ctest and
#                                gtest_discover_tests go through it)
#   QEMU_CPU                     (environment, read by qemu when a test runs) the emulated CPU;
#                                qemu 7.2's default is "max" (Armv8.x with fp16 arithmetic,
#                                FEAT_FP16); "cortex-a72" is a plain Armv8.0 core without it
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(DEFINED ENV{GRAMLITE_ARM64_ROOT} AND NOT "$ENV{GRAMLITE_ARM64_ROOT}" STREQUAL "")
  set(GRAMLITE_ARM64_ROOT "$ENV{GRAMLITE_ARM64_ROOT}")
else()
  get_filename_component(GRAMLITE_ARM64_ROOT "${CMAKE_CURRENT_LIST_DIR}/../build-arm64-root" ABSOLUTE)
endif()

# Libraries, headers and CMake packages only from arm64 locations (the multiarch directory under /,
# the cross libc, the unpacked root); programs (flatc) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu "${GRAMLITE_ARM64_ROOT}" /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libXNNPACK.so needs libpthreadpool.so.0 from the unpacked root: the linker (-rpath-link) and the
# loader under qemu (LD_LIBRARY_PATH; RUNPATH does not apply to a library's own dependencies) find it.
# The loader's path starts with the cross libc (/usr/aarch64-linux-gnu/lib), the one the programs
# link against and whose ld-linux-aarch64.so.1 qemu -L loads: without it the loader takes libc.so.6
# from the multiarch libc6:arm64 (another build of glibc 2.36), and that mix hangs threaded programs
# (condition variables) under qemu.
set(_gramlite_arm64_libdir "${GRAMLITE_ARM64_ROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_gramlite_arm64_libdir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_gramlite_arm64_libdir}")

find_program(GRAMLITE_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(GRAMLITE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${GRAMLITE_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib:${_gramlite_arm64_libdir}")
endif()
