// What every subcommand shares: turning a Status into one clear line and an exit code, number
// formatting, and progress output that suits a terminal or a log.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace gramlite::cli {

// Prints "gramlite: error: <message>" to stderr and returns the exit code for `status` (0 if ok).
int report_error(const Status& status);

std::string with_thousands(int64_t value);  // 4253864 -> "4,253,864"
std::string human_bytes(int64_t bytes);     // 14.2 MiB
std::string human_count(double value);      // 300.8 M

bool stderr_is_terminal();

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
