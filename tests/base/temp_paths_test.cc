#include "gramlite/base/temp_paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace gramlite {
namespace {

namespace fs = std::filesystem;

fs::path fresh_folder(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gramlite_temp_paths_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(TempWriteLock, AllowsWritesWhileNoCleanupRan) {
  const TempWriteLock a;
  const TempWriteLock b;  // shared: writers do not exclude each other
  EXPECT_TRUE(a.allowed());
  EXPECT_TRUE(b.allowed());
  int calls = 0;
  EXPECT_TRUE(write_under_temp_lock("x", [&] {
                ++calls;
                return Status::Ok();
              }).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(write_under_temp_lock("x", [] { return io_error("inner"); }).message(), "inner");
}

// The cleanup latches for good, so each of these runs in a child process of its own.
class TempPathsCleanup : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef GRAMLITE_TEST_EMULATED
    // Under qemu-user (cross builds) the child cannot re-execute the foreign binary (no binfmt_misc):
    // fork without exec instead; ctest runs each test in a process of its own, so the fork is clean.
    GTEST_FLAG_SET(death_test_style, "fast");
#else
    GTEST_FLAG_SET(death_test_style, "threadsafe");
#endif
  }
};

TEST_F(TempPathsCleanup, RemovesRegisteredPathsAndRefusesLaterWriters) {
  const fs::path dir = fresh_folder("refuse");
  EXPECT_EXIT(
      {
        const fs::path temp = dir / "out.tmp";
        fs::create_directories(temp / "sub");
        std::ofstream(temp / "sub" / "a.png") << "x";
        const ScopedTempPath registration(temp.string());
        remove_registered_temp_paths();
        bool good = !fs::exists(temp);
        const TempWriteLock late;
        good = good && !late.allowed();
        const Status refused = write_under_temp_lock(temp.string(), [] { return Status::Ok(); });
        good = good && refused.code() == StatusCode::kIoError && refused.message().find("interrupted") != std::string::npos;
        ::_exit(good ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  fs::remove_all(dir);
}

TEST_F(TempPathsCleanup, WaitsForAWriterHoldingTheLock) {
  const fs::path dir = fresh_folder("wait");
  EXPECT_EXIT(
      {
        const fs::path temp = dir / "out.tmp";
        fs::create_directories(temp);
        const ScopedTempPath registration(temp.string());
        std::atomic<bool> holding{false};
        std::thread writer([&] {
          const TempWriteLock lock;
          holding = true;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          std::ofstream(temp / "late.png") << "written while the cleanup waited";
        });
        while (!holding) std::this_thread::yield();
        remove_registered_temp_paths();  // must wait for the file above, then remove it with the folder
        const bool gone = !fs::exists(temp);
        writer.join();
        ::_exit(gone && !fs::exists(temp) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  fs::remove_all(dir);
}

TEST_F(TempPathsCleanup, NothingReappearsWhileWorkersKeepWriting) {
  // The F4 race: workers writing tiles into the temporary folder while the interrupt removes it.
  const fs::path dir = fresh_folder("race");
  for (int round = 0; round < 5; ++round) {
    EXPECT_EXIT(
        {
          const fs::path temp = dir / ("out.tmp" + std::to_string(round));
          fs::create_directories(temp);
          const ScopedTempPath registration(temp.string());
          std::atomic<bool> stop{false};
          std::atomic<int> written{0};
          std::vector<std::thread> workers;
          for (int w = 0; w < 4; ++w) {
            workers.emplace_back([&, w] {
              for (int i = 0; !stop; ++i) {
                const Status s = write_under_temp_lock(temp.string(), [&] {
                  fs::create_directories(temp / std::to_string(w));
                  std::ofstream(temp / std::to_string(w) / (std::to_string(i) + ".png")) << "tile";
                  return Status::Ok();
                });
                if (s.ok()) ++written;
              }
            });
          }
          while (written < 50) std::this_thread::yield();
          remove_registered_temp_paths();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // workers keep trying meanwhile
          stop = true;
          for (std::thread& t : workers) t.join();
          ::_exit(fs::exists(temp) ? 1 : 0);
        },
        ::testing::ExitedWithCode(0), "");
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gramlite
