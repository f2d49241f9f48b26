#include "test_slides.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "gramlite/data/synth_slide/synthetic_slide.h"

namespace gramlite::data::wsi::testing {
namespace {

namespace fs = std::filesystem;

const fs::path& root() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("gramlite_wsi_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("gramlite_wsi_test_" + std::to_string(::getpid())), ec);
    });
    return d;
  }();
  return dir;
}

}  // namespace

const std::string& synthetic_slide_path() {
  static const std::string path = [] {
    synth_slide::SyntheticSlideOptions options;
    options.output_path = (root() / "smear.tiff").string();
    options.width = 4096;
    options.height = 3072;
    options.seed = 11;
    options.microns_per_pixel = 0.25;
    ThreadPool pool(2);
    const auto files = synth_slide::write_synthetic_slide(options, &pool);
    if (!files.ok()) throw std::runtime_error(files.status().message());
    return options.output_path;
  }();
  return path;
}

std::string make_temp_dir(const std::string& name) {
  const fs::path dir = root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

}  // namespace gramlite::data::wsi::testing
