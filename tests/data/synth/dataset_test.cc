// write_tile_dataset: layout, determinism across thread counts, manifest, clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gramlite/data/synth/tile_dataset_writer.h"

namespace gramlite::data::synth {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(GRAMLITE_BINARY_DIR) / "synth_test_output" / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

// True when no temporary folder of a write to `out` is left beside it (".out.tmp-<pid>-<n>",
// base/atomic_file.h), nor any temporary inside it. Beside it, only `out`'s own count: ctest runs
// this file's other tests at the same time, writing their own folders next to this one.
bool no_temporaries(const fs::path& out) {
  const std::string own_prefix = "." + out.filename().string() + ".tmp-";
  if (fs::is_directory(out.parent_path())) {
    for (const auto& entry : fs::directory_iterator(out.parent_path())) {
      if (entry.path().filename().string().rfind(own_prefix, 0) == 0) return false;
    }
  }
  if (fs::is_directory(out)) {
    for (const auto& entry : fs::directory_iterator(out)) {
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) return false;
    }
  }
  return true;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Relative path -> bytes, every file under `root`.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), root).string()] = read_all(entry.path());
  }
  return files;
}

TileDatasetOptions small_options(const fs::path& out, const std::string& task) {
  TileDatasetOptions options;
  options.out_dir = out.string();
  options.task = task;
  options.per_class = 10;
  options.size = 64;
  options.seed = 77;
  return options;
}

TEST(TileDataset, SameSeedSameBytesWhateverTheThreadCount) {
  TileDatasetOptions one = small_options(scratch("threads1"), "morphology4");
  TileDatasetOptions two = small_options(scratch("threads2"), "morphology4");
  int64_t calls = 0, last_done = 0;
  two.progress = [&](int64_t done, int64_t total) {
    ++calls;
    EXPECT_EQ(total, 40);
    EXPECT_EQ(done, last_done + 1);
    last_done = done;
  };
  auto a = write_tile_dataset(one);
  ThreadPool pool(2);
  auto b = write_tile_dataset(two, &pool);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(calls, 40);
  const auto files_a = snapshot(one.out_dir), files_b = snapshot(two.out_dir);
  EXPECT_EQ(files_a.size(), 40u + 2u);
  EXPECT_TRUE(files_a == files_b) << "datasets differ between 1 and 2 threads";
  EXPECT_TRUE(no_temporaries(one.out_dir));

  TileDatasetOptions other = small_options(scratch("seed78"), "morphology4");
  other.seed = 78;
  ASSERT_TRUE(write_tile_dataset(other).ok());
  const auto files_c = snapshot(other.out_dir);
  EXPECT_NE(files_a.at("manifest.csv"), files_c.at("manifest.csv"));
}

TEST(TileDataset, ManifestHasBalancedClassesAndSplits) {
  const fs::path out = scratch("gram2");
  auto summary = write_tile_dataset(small_options(out, "gram2"));
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->classes, (std::vector<std::string>{"gram_positive", "gram_negative"}));
  EXPECT_EQ(summary->split_counts, (std::array<int64_t, 3>{16, 2, 2}));
  std::istringstream manifest(read_all(out / "manifest.csv"));
  std::string line;
  std::getline(manifest, line);
  EXPECT_EQ(line.rfind("file,split,label,label_index,", 0), 0u);
  std::map<std::string, int> per_split_label;
  int rows = 0;
  while (std::getline(manifest, line)) {
    ++rows;
    std::istringstream row(line);
    std::string file, split, label, index, organism, field_seed, ox, oy, count;
    std::getline(row, file, ',');
    std::getline(row, split, ',');
    std::getline(row, label, ',');
    std::getline(row, index, ',');
    std::getline(row, organism, ',');
    std::getline(row, field_seed, ',');
    std::getline(row, ox, ',');
    std::getline(row, oy, ',');
    std::getline(row, count, ',');
    EXPECT_TRUE(fs::exists(out / file)) << file;
    EXPECT_EQ(file.rfind(split + "/" + label + "/", 0), 0u) << file;
    ++per_split_label[split + "/" + label];
    if (label == "gram_negative") {
      EXPECT_EQ(organism, "gram_negative_rods");
    } else {
      EXPECT_NE(organism.find("cocci"), std::string::npos) << organism;
    }
    EXPECT_GE(std::stoi(count), 1) << "a bacterial tile with no organism: " << file;
  }
  EXPECT_EQ(rows, 20);
  for (const std::string label : {"gram_positive", "gram_negative"}) {
    EXPECT_EQ(per_split_label["train/" + label], 8);
    EXPECT_EQ(per_split_label["val/" + label], 1);
    EXPECT_EQ(per_split_label["test/" + label], 1);
  }
  const std::string json = read_all(out / "dataset.json");
  EXPECT_NE(json.find("\"task\": \"gram2\""), std::string::npos);
  EXPECT_NE(json.find("\"microns_per_pixel\": 0.1"), std::string::npos);
  EXPECT_NE(json.find("\"generator_version\": 1"), std::string::npos);
}

TEST(TileDataset, TrailingSlashAndExistingEmptyFolderAreFine) {
  const fs::path out = scratch("slash");
  fs::create_directories(out);
  TileDatasetOptions options = small_options(out, "gram2");
  options.out_dir = out.string() + "/";
  options.per_class = 1;
  auto summary = write_tile_dataset(options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_TRUE(fs::exists(out / "dataset.json"));
  EXPECT_TRUE(no_temporaries(out));
}

TEST(TileDataset, JpegFormatWritesJpegFiles) {
  TileDatasetOptions options = small_options(scratch("jpeg"), "gram2");
  options.per_class = 2;
  options.image_format = "jpg";
  ASSERT_TRUE(write_tile_dataset(options).ok());
  int jpegs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(options.out_dir)) jpegs += entry.path().extension() == ".jpg";
  EXPECT_EQ(jpegs, 4);
}

TEST(TileDataset, BadOptionsGiveClearErrors) {
  const fs::path out = scratch("bad");
  auto expect_error = [&](TileDatasetOptions options, StatusCode code, const std::string& words) {
    auto result = write_tile_dataset(options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code) << result.status().message();
    EXPECT_NE(result.status().message().find(words), std::string::npos) << result.status().message();
    EXPECT_FALSE(fs::exists(out));
  };
  TileDatasetOptions o = small_options(out, "gram2");
  o.per_class = 0;
  expect_error(o, StatusCode::kInvalidArgument, "per_class");
  o = small_options(out, "gram2");
  o.size = 31;
  expect_error(o, StatusCode::kInvalidArgument, "size");
  o = small_options(out, "gram7");
  expect_error(o, StatusCode::kInvalidArgument, "unknown tile task 'gram7'");
  o = small_options(out, "gram2");
  o.split_fractions = {0.5, 0.2, 0.2};
  expect_error(o, StatusCode::kInvalidArgument, "split fractions");
  o = small_options(out, "gram2");
  o.image_format = "bmp";
  expect_error(o, StatusCode::kInvalidArgument, "image format");

  // A folder that cannot be created: its parent is a regular file.
  const fs::path file = out.parent_path() / "plain_file";
  std::ofstream(file) << "x";
  o = small_options(file / "dataset", "gram2");
  auto unwritable = write_tile_dataset(o);
  ASSERT_FALSE(unwritable.ok());
  EXPECT_EQ(unwritable.status().code(), StatusCode::kIoError);
  EXPECT_NE(unwritable.status().message().find("plain_file"), std::string::npos) << unwritable.status().message();

  // An existing non-empty folder is never overwritten.
  fs::create_directories(out);
  std::ofstream(out / "keep.txt") << "mine";
  auto occupied = write_tile_dataset(small_options(out, "gram2"));
  ASSERT_FALSE(occupied.ok());
  EXPECT_NE(occupied.status().message().find("not an empty folder"), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "keep.txt"));

  // "." (the working folder) cannot be renamed onto: refused up front, not an I/O error after
  // rendering every tile into a temporary folder.
  const fs::path here = fs::current_path();
  const fs::path empty = scratch("dot");
  fs::create_directories(empty / "cwd");
  fs::current_path(empty / "cwd");  // an empty working folder: "." passes the emptiness check
  auto dot = write_tile_dataset(small_options(".", "gram2"));
  fs::current_path(here);
  ASSERT_FALSE(dot.ok());
  EXPECT_EQ(dot.status().code(), StatusCode::kInvalidArgument) << dot.status().message();
  EXPECT_TRUE(fs::is_empty(empty / "cwd"));
  EXPECT_TRUE(no_temporaries(empty / "cwd"));
}

TEST(TileDataset, MakeTileCentresOnAnOrganism) {
  for (int64_t i = 0; i < 20; ++i) {
    auto tile = make_tile(TileTask::kMorphology4, 1 + static_cast<int>(i % 3), i, 96, Difficulty{1.0f}, 5);
    ASSERT_TRUE(tile.ok()) << tile.status().message();
    EXPECT_GE(tile->organisms_in_tile, 1);
    EXPECT_EQ(tile->image.width, 96);
  }
  auto background = make_tile(TileTask::kMorphology4, 0, 3, 96, Difficulty{}, 5);
  ASSERT_TRUE(background.ok());
  EXPECT_EQ(background->organisms_in_tile, 0);
  EXPECT_EQ(make_tile(TileTask::kGram2, 2, 0, 96, Difficulty{}, 5).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gramlite::data::synth
