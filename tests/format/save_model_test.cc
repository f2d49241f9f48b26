// save_model writes atomically: a complete file at the path, or none (and no leftovers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "format/mapped_file.h"
#include "gramlite/format/model_file.h"
#include "temp_dir.h"
#include "test_models.h"

namespace gramlite::format {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(SaveModel, WritesOnlyTheTargetFile) {
  testing::TempDir dir;
  const std::string path = dir.file("model.gramlite");
  ASSERT_TRUE(save_model(testing::make_tiny_graph(), path).ok());
  ASSERT_TRUE(save_model(testing::make_every_op_graph(), path).ok());  // replaces it
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"model.gramlite"});
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->metadata.name, "every op");
}

TEST(SaveModel, RelativePathInTheCurrentFolder) {
  testing::TempDir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  const Status s = save_model(testing::make_tiny_graph(), "relative.gramlite");
  fs::current_path(previous);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"relative.gramlite"});
}

TEST(SaveModel, MissingFolderIsAnErrorNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("no/such/folder/model.gramlite");
  const Status s = save_model(testing::make_tiny_graph(), path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(SaveModel, UnwritableFolderLeavesNoFile) {
  testing::TempDir dir;
  const fs::path folder = dir.path() / "read_only";
  fs::create_directory(folder);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(folder.c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running with permission to write anywhere (root?): cannot make a folder unwritable";
  }
  const std::string path = (folder / "model.gramlite").string();
  const Status s = save_model(testing::make_tiny_graph(), path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr(path));
  fs::permissions(folder, fs::perms::owner_all);
  EXPECT_TRUE(entries(folder).empty());
}

TEST(SaveModel, FailureAfterWritingRemovesTheTemporaryFile) {
  // The target is a non-empty folder: creating and writing the temporary file succeeds, the final
  // rename fails. Works as root too, unlike permission tricks.
  testing::TempDir dir;
  const fs::path target = dir.path() / "model.gramlite";
  fs::create_directory(target);
  std::ofstream(target / "keep") << "x";
  const Status s = save_model(testing::make_every_op_graph(), target.string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr(target.string()));
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"model.gramlite"});
  EXPECT_TRUE(fs::is_directory(target));
}

TEST(SaveModel, InvalidGraphIsRefusedAndTheOldFileKept) {
  testing::TempDir dir;
  const std::string path = dir.file("model.gramlite");
  ASSERT_TRUE(save_model(testing::make_tiny_graph(), path).ok());
  const std::string before = read_all(path);

  ir::Graph bad = testing::make_tiny_graph();
  bad.nodes[0].inputs[1] = 99;
  Status s = save_model(bad, path);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("refers to tensor 99"));
  EXPECT_THAT(s.message(), HasSubstr(path));

  ir::Graph unvalidated = testing::make_tiny_graph();
  unvalidated.outputs.clear();
  s = save_model(unvalidated, path);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot save an invalid graph"));

  EXPECT_EQ(read_all(path), before);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"model.gramlite"});
}

TEST(SaveModel, ConcurrentSavesToOnePathLeaveOneCompleteModel) {
  testing::TempDir dir;
  const std::string path = dir.file("model.gramlite");
  const ir::Graph graphs[2] = {testing::make_tiny_graph(), testing::make_every_op_graph()};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) EXPECT_TRUE(save_model(graphs[(t + i) % 2], path).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(load_model(path).ok());
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"model.gramlite"});
}

TEST(MappedFile, MapsTheWholeFile) {
  testing::TempDir dir;
  const std::string path = dir.file("bytes");
  std::ofstream(path, std::ios::binary) << "0123456789";
  auto mapped = MappedFile::open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  ASSERT_EQ((*mapped)->size(), 10u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*mapped)->data()), 10), "0123456789");
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*mapped)->data()) % 4096, 0u);
}

TEST(MappedFile, EmptyMissingAndNonRegularFiles) {
  testing::TempDir dir;
  const std::string empty = dir.file("empty");
  std::ofstream{empty};
  auto mapped = MappedFile::open(empty);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ((*mapped)->size(), 0u);
  EXPECT_EQ(MappedFile::open(dir.file("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(MappedFile::open(dir.path().string()).status().message(), HasSubstr("not a regular file"));
}

TEST(FileSummary, RefusesWhatIsNotAModel) {
  testing::TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream(path) << "These are not the bytes you are looking for, and there are quite a few of them.";
  auto summary = read_file_summary(path);
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(summary.status().message(), HasSubstr("not a gramlite model file"));
  EXPECT_THAT(summary.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace gramlite::format
