// What the CLI tests share: running the gramlite binary, a fresh folder per test, interrupting a run.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace gramlite {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, stdout and stderr together.
inline CommandResult run_shell_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> chunk;
  size_t n;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) result.output.append(chunk.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline CommandResult run_gramlite(const std::string& args) {
  return run_shell_command(std::string(GRAMLITE_EXECUTABLE) + " " + args + " 2>&1");
}

// run_gramlite under `timeout`: a command that hangs ends with exit code 124 instead of hanging the test.
inline CommandResult run_gramlite_within(int seconds, const std::string& args) {
  return run_shell_command("timeout " + std::to_string(seconds) + " " + std::string(GRAMLITE_EXECUTABLE) + " " +
                           args + " 2>&1");
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gramlite_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Starts gramlite in `dir` in the background (output discarded, SIGINT/SIGTERM at their defaults,
// which a test runner may have set to ignore); returns its pid.
inline pid_t spawn_gramlite(const fs::path& dir, const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    if (::chdir(dir.c_str()) != 0) ::_exit(99);
    std::FILE* null = std::freopen("/dev/null", "w", stdout);
    null = std::freopen("/dev/null", "w", stderr);
    (void)null;
    std::vector<char*> argv{const_cast<char*>(GRAMLITE_EXECUTABLE)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(GRAMLITE_EXECUTABLE, argv.data());
    ::_exit(98);
  }
  return pid;
}

// Starts gramlite in `dir` (spawn_gramlite), waits until it has written something there, sends
// `signal_number` and returns its wait status.
inline int interrupt_gramlite(const fs::path& dir, const std::vector<std::string>& args, int signal_number) {
  const pid_t pid = spawn_gramlite(dir, args);
  // Mid-run: once a temporary file or folder exists (at most 30 s), plus a moment of work.
  for (int i = 0; i < 3000 && fs::is_empty(dir); ++i) ::usleep(10000);
  ::usleep(300000);
  ::kill(pid, signal_number);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace gramlite
