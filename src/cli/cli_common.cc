#include "cli/cli_common.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

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
    case StatusCode::kNotFound: return 3;  // a missing file; other refusals of the OS (disk full) are 1

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

namespace {

CLI::Validator finite_number_at_least(double lowest, bool inclusive, const char* what) {
  return CLI::Validator(
      [lowest, inclusive, what](std::string& text) -> std::string {
        double value = 0;
        const bool parsed = CLI::detail::lexical_cast(text, value);
        if (!parsed || !std::isfinite(value) || (inclusive ? value < lowest : value <= lowest)) {
          return std::string("must be a ") + what + " number, got '" + text + "'";
        }
        return std::string();
      },
      what == std::string("positive") ? "POSITIVE" : "NONNEGATIVE");
}

}  // namespace

CLI::Validator positive_number() { return finite_number_at_least(0.0, false, "positive"); }
CLI::Validator non_negative_number() { return finite_number_at_least(0.0, true, "non-negative"); }

CLI::Validator seed_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string max = "18446744073709551615";
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        std::string value = digits ? text.substr(std::min(text.find_first_not_of('0'), text.size() - 1)) : text;
        if (!digits || value.size() > max.size() || (value.size() == max.size() && value > max)) {
          return "must be a whole number from 0 to " + max + ", got '" + text + "'";
        }
        return std::string();
      },
      "SEED");
}

CLI::Validator finite_range(double lowest, double highest) {
  return CLI::Validator(
      [lowest, highest](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value < lowest || value > highest) {
          return "must be a number in [" + CLI::detail::to_string(lowest) + ", " + CLI::detail::to_string(highest) +
                 "], got '" + text + "'";
        }
        return std::string();
      },
      "FLOAT in [" + CLI::detail::to_string(lowest) + " - " + CLI::detail::to_string(highest) + "]");
}

namespace {

std::mutex& interrupt_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<std::function<void()>>& interrupt_cleanups() {
  static std::vector<std::function<void()>> cleanups;
  return cleanups;
}

}  // namespace

void on_interrupt(std::function<void()> cleanup) {
  std::lock_guard<std::mutex> lock(interrupt_mutex());
  interrupt_cleanups().push_back(std::move(cleanup));
}

// The signal handler only writes the signal number into a pipe (async-signal-safe); a thread
// reading the pipe does the cleanup in a normal context. A handler, not a blocked-signal mask:
// libraries start threads before main (OpenBLAS does), and those would still get the signal.
static int interrupt_pipe[2] = {-1, -1};
static std::atomic<bool> interrupt_received{false};  // lock-free, so safe to set in the handler
static_assert(std::atomic<bool>::is_always_lock_free);

static void forward_signal(int signal_number) {
  interrupt_received.store(true);
  const auto byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] const ssize_t written = ::write(interrupt_pipe[1], &byte, 1);
}

void install_interrupt_handling() {
  if (::pipe(interrupt_pipe) != 0) return;
  std::thread([] {
    unsigned char signal_number = 0;
    ssize_t got = 0;
    while ((got = ::read(interrupt_pipe[0], &signal_number, 1)) < 0 && errno == EINTR) {
    }
    if (got != 1) return;  // the pipe broke: no interrupt handling, but no busy loop either
    {
      std::lock_guard<std::mutex> lock(interrupt_mutex());
      for (const auto& cleanup : interrupt_cleanups()) cleanup();
    }
    const char message[] = "\ngramlite: interrupted; temporary files removed\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, message, sizeof(message) - 1);
    ::_exit(128 + signal_number);
  }).detach();
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    // Signals ignored at start stay ignored (nohup, background jobs of a script).
    if (sigaction(signal_number, nullptr, &current) != 0 || current.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = forward_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(signal_number, &action, nullptr);
  }
}

void wait_if_interrupted() {
  if (!interrupt_received.load()) return;
  // The cleanup thread exits the process with 128 + the signal once the temporaries are gone;
  // returning from main now would race it with another exit code and half-removed files.
  for (;;) ::pause();
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
