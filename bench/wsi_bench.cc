// Whole-slide throughput and memory: writes a large synthetic slide, then tiles it, each step in
// a child process so that its peak RSS (getrusage of the child) is its own.
//
//   wsi_bench [--size N] [--threads T] [--tile 224] [--mpp M] [--dir /tmp] [--keep]
//
// Reports: writer MP/s and TIFF tiles/s (all levels) with peak RSS; tiler kept tiles/s (thumbnail
// + Otsu, then every kept tile read, resampled and handed to a no-op callback) at the slide's mpp
// and at 2x, with peak RSS.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "gramlite/data/synth_slide/synthetic_slide.h"
#include "gramlite/data/wsi/tiler.h"

namespace {

using gramlite::Status;
namespace synth_slide = gramlite::data::synth_slide;
namespace wsi = gramlite::data::wsi;

struct ChildResult {
  bool ok = false;
  double seconds = 0;
  double peak_mib = 0;
};

// Runs `body` in a child; its exit code says success. Returns wall time and the child's peak RSS.
ChildResult in_child(const std::function<bool()>& body) {
  std::fflush(stdout);  // else the child's copy of the buffer is printed twice
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body() ? 0 : 1);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  ChildResult result;
  result.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.peak_mib = usage.ru_maxrss / 1024.0;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t size = 20000;
  int threads = 2, tile = 224;
  double mpp = 0.1;
  std::string dir = std::filesystem::temp_directory_path().string();
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--size") size = std::atoll(next().c_str());
    else if (arg == "--threads") threads = std::atoi(next().c_str());
    else if (arg == "--tile") tile = std::atoi(next().c_str());
    else if (arg == "--mpp") mpp = std::atof(next().c_str());
    else if (arg == "--dir") dir = next();
    else if (arg == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: wsi_bench [--size N] [--threads T] [--tile N] [--mpp M] [--dir D] [--keep]\n");
      return 2;
    }
  }
  const std::string slide = dir + "/wsi_bench_" + std::to_string(::getpid()) + ".tiff";
  std::printf("slide %lld x %lld, %d threads, mpp %g\n", static_cast<long long>(size), static_cast<long long>(size),
              threads, mpp);
  // Each step runs in its own child so that its peak RSS is its own; the parent never opens the
  // slide (what it maps would be inherited and counted in the children's RSS).
  const ChildResult write = in_child([&] {
    const auto start = std::chrono::steady_clock::now();
    synth_slide::SyntheticSlideOptions options;
    options.output_path = slide;
    options.width = options.height = size;
    options.microns_per_pixel = mpp;
    gramlite::ThreadPool pool(threads);
    const auto files = synth_slide::write_synthetic_slide(options, &pool);
    if (!files.ok()) {
      std::fprintf(stderr, "%s\n", files.status().message().c_str());
      return false;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t tiff_tiles = 0;
    for (int64_t l = 0, w = size, h = size; l < files->level_count; ++l, w = (w + 1) / 2, h = (h + 1) / 2) {
      tiff_tiles += (w + options.tile_size - 1) / options.tile_size * ((h + options.tile_size - 1) / options.tile_size);
    }
    std::printf("writer (%s renderer): %.2f s, %.1f MP/s of level 0, %.0f TIFF tiles/s (%d px, %d levels), file "
                "%.1f MiB, ",
                files->renderer, seconds, static_cast<double>(size) * size / 1e6 / seconds, tiff_tiles / seconds,
                options.tile_size, files->level_count, std::filesystem::file_size(slide) / 1048576.0);
    std::fflush(stdout);
    return true;
  });
  if (!write.ok) return 1;
  std::printf("peak RSS %.1f MiB\n", write.peak_mib);
  for (const double factor : {1.0, 2.0}) {
    // The child prints its counts and rate (variables do not cross the fork); the parent adds
    // the child's peak RSS.
    const ChildResult tiling = in_child([&] {
      const auto start = std::chrono::steady_clock::now();
      auto opened = wsi::open_slide(slide);
      if (!opened.ok()) return false;
      wsi::TilingOptions options;
      options.microns_per_pixel = mpp * factor;
      options.tile_size = tile;
      gramlite::ThreadPool pool(threads);
      auto summary =
          wsi::for_each_tile(**opened, options, [](const wsi::Tile&) { return Status::Ok(); }, false, &pool);
      if (!summary.ok()) return false;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("tiler at %g um/px (level %d, %d px tiles): %lld grid tiles, %lld kept and read (Otsu saturation "
                  "%.3f), %.2f s: %.0f kept tiles/s, ",
                  mpp * factor, summary->grid.level, tile, static_cast<long long>(summary->tiles_total),
                  static_cast<long long>(summary->tiles_kept), summary->thresholds.saturation, seconds,
                  summary->tiles_kept / seconds);
      std::fflush(stdout);
      return true;
    });
    if (!tiling.ok) return 1;
    std::printf("peak RSS %.1f MiB\n", tiling.peak_mib);
  }
  if (!keep) {
    std::error_code ec;
    for (const std::string& p : {slide, synth_slide::label_map_path_for(slide), synth_slide::regions_path_for(slide)}) {
      std::filesystem::remove(p, ec);
    }
  }
  return 0;
}
