// Peak memory of the slide writer, measured in a child process (getrusage of the child only).
#include <gtest/gtest.h>
#include <openslide.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "gramlite/data/synth_slide/synthetic_slide.h"

namespace gramlite::data::synth_slide {
namespace {

namespace fs = std::filesystem;

TEST(SyntheticSlideMemory, TwentyThousandSquareStaysBounded) {
  const fs::path dir = fs::temp_directory_path() / ("gramlite_synth_slide_mem_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string slide = (dir / "big.tiff").string();
  const auto start = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SyntheticSlideOptions options;
    options.output_path = slide;
    options.width = 20000;
    options.height = 20000;
    ThreadPool pool(2);
    const auto files = write_synthetic_slide(options, &pool);
    ::_exit(files.ok() ? 0 : 1);
  }
  int status = 0;
  rusage usage{};
  ASSERT_EQ(::wait4(child, &status, 0, &usage), child);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const double peak_mib = usage.ru_maxrss / 1024.0;  // ru_maxrss is KiB on Linux
  std::cout << "20000x20000 slide: " << seconds << " s, peak RSS " << peak_mib << " MiB, file "
            << fs::file_size(slide) / 1048576.0 << " MiB\n";
  // The full level 0 alone would be 1144 MiB; the bands are ~2 x 20000 x 256 x 3 = 29 MiB.
  EXPECT_LT(peak_mib, 200.0);
  openslide_t* osr = openslide_open(slide.c_str());
  ASSERT_NE(osr, nullptr);
  EXPECT_EQ(openslide_get_error(osr), nullptr);
  EXPECT_EQ(openslide_get_level_count(osr), 6);  // 20000 ... 625
  openslide_close(osr);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gramlite::data::synth_slide
