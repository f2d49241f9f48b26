// The fixture of the train tests that train on synthetic Gram-stain tiles: a temporary root made
// once per suite and removed after it, tile datasets written into it, and a folder per test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <initializer_list>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "gramlite/base/thread_pool.h"
#include "gramlite/data/synth/tile_dataset_writer.h"

namespace gramlite::train::testing {

// Thrown from a progress callback: a run killed there.
struct StopAfter : std::runtime_error {
  StopAfter() : std::runtime_error("simulated interruption") {}
};

struct TileSet {
  std::string name;  // the folder under the suite's root
  int per_class = 0;
  int size = 0;
  uint32_t seed = 0;
};

// `Suite` is the fixture deriving from this one, so that every suite has its own root.
template <class Suite>
class TileDatasetTest : public ::testing::Test {
 protected:
  // Called from the suite's SetUpTestSuite: a fresh root named PREFIX_XXXXXX with the gram2 task's
  // tiles for each set (60 / 20 / 20 % train / val / test).
  static void make_root(const std::string& prefix, std::initializer_list<TileSet> sets) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = new std::filesystem::path(pattern);
    ThreadPool pool(2);
    for (const TileSet& set : sets) {
      data::synth::TileDatasetOptions options;
      options.out_dir = data(set.name);
      options.task = "gram2";
      options.per_class = set.per_class;
      options.size = set.size;
      options.seed = set.seed;
      options.split_fractions = {0.6, 0.2, 0.2};
      auto written = data::synth::write_tile_dataset(options, &pool);
      ASSERT_TRUE(written.ok()) << written.status().message();
    }
  }
  static void TearDownTestSuite() {
    if (root_ == nullptr) return;
    std::error_code ignored;
    std::filesystem::remove_all(*root_, ignored);
    delete root_;
    root_ = nullptr;
  }
  void SetUp() override {
    dir_ = *root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
  }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  static std::string data(const std::string& name) { return (*root_ / name).string(); }

  static inline std::filesystem::path* root_ = nullptr;
  std::filesystem::path dir_;
};

}  // namespace gramlite::train::testing
