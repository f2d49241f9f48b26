#include "cli/cli_common.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace gramlite::cli {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int report_error(const Status& status) {
  if (status.ok()) return 0;
  std::cerr << "gramlite: error: " << status.message() << "\n";
  switch (status.code()) {
    case StatusCode::kInvalidArgument: return 2;
    case StatusCode::kNotFound:
    case StatusCode::kIoError: return 3;
    case StatusCode::kCorruptData:
    case StatusCode::kUnsupported: return 4;
    default: return 1;
  }
}

std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string human_count(double value) {
  const char* suffix[] = {"", " K", " M", " G", " T"};
  int unit = 0;
  while (std::fabs(value) >= 1000.0 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f%s" : "%.2f%s", value, suffix[unit]);
  return text;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0), terminal_(stderr_is_terminal()),
      start_seconds_(now_seconds()) {}

void Progress::update(int64_t done) {
  if (!enabled_ || finished_) return;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const double elapsed = now_seconds() - start_seconds_;
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld  ETA %.1fs ", label_.c_str(), bar.c_str(), fraction * 100.0,
                 static_cast<long long>(done), static_cast<long long>(total_), eta);
    std::fflush(stderr);
  } else if (elapsed - last_print_seconds_ >= 5.0 || (done >= total_ && last_print_seconds_ > 0.0)) {
    // Logs get a plain line at most every 5 s, and a last one if any was printed.
    last_print_seconds_ = elapsed;
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%), elapsed %.1fs, ETA %.1fs\n", label_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), fraction * 100.0, elapsed, eta);
  }
  if (done >= total_) finish();
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (terminal_) std::fprintf(stderr, "\n");
}

}  // namespace gramlite::cli
