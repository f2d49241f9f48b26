#include "base/temp_paths.h"

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

void remove_registered_temp_paths() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (const auto& entry : registry()) {
    // Worker threads may still be adding files while the folder is removed: try a few times.
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::error_code ec;
      std::filesystem::remove_all(entry.first, ec);
      if (!std::filesystem::exists(entry.first, ec)) break;
    }
  }
}

}  // namespace gramlite
