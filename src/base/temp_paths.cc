#include "gramlite/base/temp_paths.h"

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>

namespace gramlite {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Path -> number of live registrations.
std::map<std::string, int>& registry() {
  static std::map<std::string, int> paths;
  return paths;
}

// The write lock: a count of holders and the "interrupted" latch. A hand-made reader count, not
// std::shared_mutex: glibc's rwlock prefers readers, so a steady stream of writers could keep
// the cleanup waiting for ever; here the latch is set first and no new holder is admitted.
struct WriteGate {
  std::mutex mutex;
  std::condition_variable released;
  int holders = 0;
  bool interrupted = false;
};

WriteGate& gate() {
  static WriteGate g;
  return g;
}

}  // namespace

ScopedTempPath::ScopedTempPath(std::string path) : path_(std::move(path)) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  ++registry()[path_];
}

ScopedTempPath::~ScopedTempPath() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto it = registry().find(path_);
  if (it != registry().end() && --it->second <= 0) registry().erase(it);
}

TempWriteLock::TempWriteLock() {
  WriteGate& g = gate();
  std::lock_guard<std::mutex> lock(g.mutex);
  allowed_ = !g.interrupted;
  if (allowed_) ++g.holders;
}

TempWriteLock::~TempWriteLock() {
  if (!allowed_) return;
  WriteGate& g = gate();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (--g.holders == 0) g.released.notify_all();
}

Status interrupted_error(const std::string& path) {
  return io_error("interrupted while writing '", path, "'");
}

void remove_registered_temp_paths() {
  {
    WriteGate& g = gate();
    std::unique_lock<std::mutex> lock(g.mutex);
    g.interrupted = true;
    g.released.wait(lock, [&] { return g.holders == 0; });
  }
  // From here on no writer creates anything under a temporary path, so one removal suffices;
  // the retries only cover a file system that reports a transient failure.
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (const auto& entry : registry()) remove_tree(entry.first);
}

void remove_tree(const std::string& path) {
  // Each pass removes what it can; an entry removed by someone else makes remove_all stop early
  // with ENOENT, so look again. A tree that truly resists (permissions) ends after the passes.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    const auto status = std::filesystem::symlink_status(path, ec);
    if (ec ? ec == std::errc::no_such_file_or_directory : !std::filesystem::exists(status)) return;
  }
}

}  // namespace gramlite
