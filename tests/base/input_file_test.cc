// base/input_file: the checks every reader of a user's path relies on.
#include "base/input_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "special_files.h"

namespace gramlite {
namespace {

namespace fs = std::filesystem;

class InputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gramlite_input_file_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(InputFileTest, ReadsARegularFileWhole) {
  std::ofstream(path("a.bin"), std::ios::binary) << "0123456789";
  Result<Buffer> bytes = read_regular_file(path("a.bin"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()), "0123456789");
  EXPECT_TRUE(check_regular_file(path("a.bin")).ok());
  Result<Buffer> capped = read_regular_file(path("a.bin"), 9);
  EXPECT_EQ(capped.status().code(), StatusCode::kUnsupported) << capped.status().message();
  std::ofstream{path("empty")};
  Result<Buffer> empty = read_regular_file(path("empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST_F(InputFileTest, MissingIsNotFound) {
  EXPECT_EQ(InputFile::open(path("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(check_regular_file(path("nope")).code(), StatusCode::kNotFound);
  EXPECT_EQ(check_regular_file(path("nope/below")).code(), StatusCode::kNotFound);
}

TEST_F(InputFileTest, FifoDirectoryAndDevicesAreRefusedWithoutBlocking) {
  const std::string fifo = path("pipe");
  ASSERT_TRUE(testing::make_fifo(fifo));
  Result<Buffer> piped = internal_error("not run");
  ASSERT_TRUE(testing::returns_within(fifo, [&] { piped = read_regular_file(fifo); }));
  EXPECT_EQ(piped.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(piped.status().message(), "'" + fifo + "' is not a regular file (a FIFO)");
  EXPECT_EQ(check_regular_file(fifo).message(), "'" + fifo + "' is not a regular file (a FIFO)");
  EXPECT_EQ(InputFile::open(dir_.string()).status().message(),
            "'" + dir_.string() + "' is not a regular file (a directory)");
  EXPECT_EQ(read_regular_file("/dev/zero").status().message(), "'/dev/zero' is not a regular file (a character device)");
  EXPECT_EQ(check_regular_file("/dev/null").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gramlite
