#include "gramlite/base/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace gramlite {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gramlite_atomic_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Names in dir_ other than `except`.
  std::vector<std::string> others(const std::string& except) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename() != except) names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path dir_;
};

TEST_F(AtomicFile, WritesAndReplacesWholeFiles) {
  const fs::path path = dir_ / "log.csv";
  ASSERT_TRUE(write_text_file_atomically(path.string(), "first\n").ok());
  EXPECT_EQ(read(path), "first\n");
  const std::string a = "abc", b = "defg";
  ASSERT_TRUE(write_file_atomically(path.string(), {ByteSpan{reinterpret_cast<const uint8_t*>(a.data()), a.size()},
                                                    ByteSpan{nullptr, 0},
                                                    ByteSpan{reinterpret_cast<const uint8_t*>(b.data()), b.size()}})
                  .ok());
  EXPECT_EQ(read(path), "abcdefg");
  ASSERT_TRUE(write_text_file_atomically(path.string(), "").ok());
  EXPECT_EQ(fs::file_size(path), 0u);
  EXPECT_TRUE(others("log.csv").empty());  // no temporary left
}

TEST_F(AtomicFile, MissingFolderIsAnIoErrorNamingThePath) {
  const Status s = write_text_file_atomically((dir_ / "no" / "such" / "file").string(), "x");
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.message();
  EXPECT_NE(s.message().find("no/such/file"), std::string::npos) << s.message();
}

TEST_F(AtomicFile, TargetThatIsAFolderIsRefusedAndKept) {
  fs::create_directories(dir_ / "taken" / "inside");
  const Status s = write_text_file_atomically((dir_ / "taken").string(), "x");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(fs::is_directory(dir_ / "taken" / "inside"));
  EXPECT_TRUE(others("taken").empty());  // the temporary went away
}

TEST_F(AtomicFile, DiskFullIsAnIoErrorNotAMissingFile) {
  // A full disk: a tmpfs of 64 KiB, where we may mount one (root); elsewhere skipped.
  const fs::path small = dir_ / "small";
  fs::create_directories(small);
  const std::string mount = "mount -t tmpfs -o size=64k tmpfs '" + small.string() + "' 2>/dev/null";
  if (std::system(mount.c_str()) != 0) GTEST_SKIP() << "cannot mount a small tmpfs (not root)";
  const std::string big(1 << 20, 'y');
  const Status full = write_text_file_atomically((small / "model.gramlite").string(), big);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(small)) left.push_back(entry.path().filename().string());
  (void)std::system(("umount '" + small.string() + "'").c_str());
  EXPECT_EQ(full.code(), StatusCode::kIoError) << full.message();
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full.message();
  EXPECT_TRUE(left.empty()) << left.front();
}

TEST_F(AtomicFile, KilledWriterKeepsThePreviousFileAndItsTemporaryIsCleanedLater) {
  const fs::path path = dir_ / "model.gramlite";
  ASSERT_TRUE(write_text_file_atomically(path.string(), "previous").ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // 4 GiB from one 1 MiB block: far more than it can write before the parent kills it.
    static std::vector<uint8_t> block(1 << 20, 0x5a);
    const std::vector<ByteSpan> pieces(4096, ByteSpan{block.data(), block.size()});
    (void)write_file_atomically(path.string(), pieces);
    ::_exit(0);
  }
  const std::string prefix = ".model.gramlite.tmp-" + std::to_string(child) + "-";
  fs::path temporary;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (temporary.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::error_code ec;
      if (entry.path().filename().string().rfind(prefix, 0) == 0 && fs::file_size(entry.path(), ec) > 0) {
        temporary = entry.path();
      }
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_FALSE(temporary.empty()) << "the writer never started";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(read(path), "previous");  // never half-written
  ASSERT_TRUE(fs::exists(temporary));  // SIGKILL runs no cleanup
  // The next writer of the same target removes the dead process's temporary.
  ASSERT_TRUE(write_text_file_atomically(path.string(), "next").ok());
  EXPECT_EQ(read(path), "next");
  EXPECT_FALSE(fs::exists(temporary));
  EXPECT_TRUE(others("model.gramlite").empty());
}

TEST_F(AtomicFile, StaleCleanupSparesLiveProcessesAndOtherTargets) {
  const fs::path path = dir_ / "out";
  // Our own pid (a live writer in this process), a live other process (pid 1), a dead one, a
  // different target and names that only look similar.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string prefix = temporary_prefix_for(path.string());
  EXPECT_EQ(prefix, (dir_ / ".out.tmp-").string());
  const std::vector<std::string> kept = {".out.tmp-" + std::to_string(::getpid()) + "-0", ".out.tmp-1-0",
                                         ".other.tmp-" + std::to_string(dead) + "-0", ".out.tmp-x-0", ".out.tmp--0",
                                         "out.tmp-" + std::to_string(dead) + "-0"};
  for (const std::string& name : kept) std::ofstream(dir_ / name) << "x";
  fs::create_directories(dir_ / (".out.tmp-" + std::to_string(dead) + "-3") / "sub");  // a folder of a dead writer
  std::ofstream(dir_ / (".out.tmp-" + std::to_string(dead) + "-4.png")) << "x";     // with a suffix
  EXPECT_EQ(remove_stale_temporaries(path.string()), 2);
  for (const std::string& name : kept) EXPECT_TRUE(fs::exists(dir_ / name)) << name;
  EXPECT_FALSE(fs::exists(dir_ / (".out.tmp-" + std::to_string(dead) + "-3")));
  EXPECT_EQ(remove_stale_temporaries((dir_ / "absent-folder" / "x").string()), 0);
}

TEST_F(AtomicFile, PendingFileCommitsOrVanishes) {
  const fs::path path = dir_ / "labels.png";
  std::string temp;
  {
    auto file = PendingFile::create(path.string(), ".png");
    ASSERT_TRUE(file.ok()) << file.status().message();
    temp = file->temp_path();
    EXPECT_EQ(fs::path(temp).parent_path(), dir_);
    EXPECT_EQ(fs::path(temp).extension(), ".png");
    EXPECT_TRUE(fs::exists(temp));
    std::ofstream(temp) << "pixels";
    ASSERT_TRUE(file->commit().ok());
    EXPECT_FALSE(file->commit().ok());  // once only
  }
  EXPECT_EQ(read(path), "pixels");
  EXPECT_FALSE(fs::exists(temp));
  {
    auto abandoned = PendingFile::create(path.string());
    ASSERT_TRUE(abandoned.ok());
    temp = abandoned->temp_path();
    std::ofstream(temp) << "half";
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(read(path), "pixels");
  EXPECT_TRUE(others("labels.png").empty());
}

TEST_F(AtomicFile, PendingFolderAppearsWholeOrNotAtAll) {
  const fs::path out = dir_ / "tiles";
  {
    auto folder = PendingFolder::create(out.string() + "/");  // "tiles/" names the folder "tiles"
    ASSERT_TRUE(folder.ok()) << folder.status().message();
    EXPECT_EQ(folder->path(), out.string());
    EXPECT_EQ(fs::path(folder->temp_path()).parent_path(), dir_);
    std::ofstream(fs::path(folder->temp_path()) / "a.png") << "a";
    EXPECT_FALSE(fs::exists(out));
    ASSERT_TRUE(folder->commit().ok());
  }
  EXPECT_EQ(read(out / "a.png"), "a");
  EXPECT_TRUE(others("tiles").empty());

  // Abandoned: nothing appears, the temporary goes.
  {
    auto folder = PendingFolder::create((dir_ / "failed").string());
    ASSERT_TRUE(folder.ok());
    fs::create_directories(fs::path(folder->temp_path()) / "deep" / "er");
  }
  EXPECT_FALSE(fs::exists(dir_ / "failed"));
  EXPECT_TRUE(others("tiles").empty());

  // An empty folder is replaced; a non-empty one or a file is refused.
  fs::create_directories(dir_ / "empty");
  {
    auto folder = PendingFolder::create((dir_ / "empty").string());
    ASSERT_TRUE(folder.ok());
    std::ofstream(fs::path(folder->temp_path()) / "b") << "b";
    ASSERT_TRUE(folder->commit().ok());
  }
  EXPECT_TRUE(fs::exists(dir_ / "empty" / "b"));
  EXPECT_EQ(PendingFolder::create(out.string()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PendingFolder::create((out / "a.png").string()).status().code(), StatusCode::kInvalidArgument);
  for (const std::string bad : {"", ".", "..", "/", "x/.."}) {
    EXPECT_EQ(PendingFolder::create(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // Someone else filled the target meanwhile: commit refuses and leaves both alone.
  {
    auto folder = PendingFolder::create((dir_ / "raced").string());
    ASSERT_TRUE(folder.ok());
    fs::create_directories(dir_ / "raced" / "theirs");
    const Status s = folder->commit();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.message();
  }
  EXPECT_TRUE(fs::exists(dir_ / "raced" / "theirs"));
  EXPECT_EQ(others("tiles").size(), 2u);  // "empty" and "raced": no temporary
}

TEST_F(AtomicFile, MissingParentFolderIsAnIoError) {
  EXPECT_EQ(PendingFolder::create((dir_ / "no" / "out").string()).status().code(), StatusCode::kIoError);
  EXPECT_EQ(PendingFile::create((dir_ / "no" / "f").string()).status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace gramlite
