// What every subcommand shares: turning a Status into one clear line and an exit code, number
// formatting, and progress output that suits a terminal or a log.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gramlite/base/status.h"

namespace gramlite::cli {

// Prints "gramlite: error: <message>" to stderr and returns the exit code for `status` (0 if ok).
int report_error(const Status& status);

std::string with_thousands(int64_t value);  // 4253864 -> "4,253,864"
std::string human_bytes(int64_t bytes);     // 14.2 MiB
std::string human_count(double value);      // 300.8 M

bool stderr_is_terminal();

// Ctrl-C safety. install_interrupt_handling() runs first in main: on SIGINT, SIGTERM or SIGHUP (those
// not ignored at start, so nohup and background jobs keep ignoring them) a thread of its own runs
// the cleanups registered with on_interrupt() (e.g. removing the library's temporary files),
// prints one line and exits with 128 + the signal number.
void install_interrupt_handling();
void on_interrupt(std::function<void()> cleanup);
// Called by main before it returns: while an interrupt's cleanup runs, main must not exit first.
void wait_if_interrupted();

// Flag checks with short messages ("must be a positive number, got -1"); CLI11's PositiveNumber
// and NonNegativeNumber print their upper bound, DBL_MAX, as a 300-digit number, and let "inf" in.
CLI::Validator positive_number();
CLI::Validator non_negative_number();
// A seed: decimal digits only, 0 .. 2^64-1 (CLI11 alone turns "-1" and 2^64 into 2^64-1).
CLI::Validator seed_number();

// A finite number in [lowest, highest]. CLI::Range lets "nan" through (every comparison with NaN
// is false).
CLI::Validator finite_range(double lowest, double highest);

// A progress indicator: a bar with ETA redrawn in place on a terminal, a plain line at most every 5 s when
// stderr is not a terminal (CI logs). Silent when `enabled` is false.
class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  void update(int64_t done);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool terminal_;
  double last_print_seconds_ = 0.0;
  double start_seconds_;
  bool finished_ = false;
};

}  // namespace gramlite::cli
