// Temporary files and folders that library code is writing right now, so that a program that
// catches SIGINT / SIGTERM can remove them before it exits: an interrupted run then leaves
// nothing behind, like a failed one. The library's own error paths remove their temporaries
// themselves (RAII); this registry only names them for the interrupt path.
#pragma once

#include <string>

namespace gramlite {

// Registers `path` for the lifetime of the object. It does not remove the path itself.
class ScopedTempPath {
 public:
  explicit ScopedTempPath(std::string path);
  ~ScopedTempPath();
  ScopedTempPath(const ScopedTempPath&) = delete;
  ScopedTempPath& operator=(const ScopedTempPath&) = delete;

 private:
  std::string path_;
};

// Removes (recursively, best effort) every path registered now. Thread-safe; meant for a
// signal-handling thread (not for an async signal handler: it allocates and locks).
void remove_registered_temp_paths();

}  // namespace gramlite
