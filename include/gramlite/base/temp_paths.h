// Temporary files and folders that library code is writing right now, so that a program that
// catches SIGINT / SIGTERM can remove them before it exits: an interrupted run then leaves
// nothing behind, like a failed one. The library's own error paths remove their temporaries
// themselves (RAII); this registry only names them for the interrupt path.
//
// The interrupt path runs on its own thread while worker threads may still be writing into a
// temporary folder. So that nothing reappears in a folder it has removed, writers hold a
// TempWriteLock while they create a file or folder inside a temporary path (or rename one into
// place), and remove_registered_temp_paths() first waits for the locks held, then refuses every
// later one: writers see allowed() == false and give up without touching the disk.
#pragma once

#include <string>

#include "gramlite/base/status.h"

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

// Held (shared: writers do not exclude each other) while creating or renaming something under a
// temporary path. Keep it short: one file's creation and write, not a whole job.
class TempWriteLock {
 public:
  TempWriteLock();
  ~TempWriteLock();
  TempWriteLock(const TempWriteLock&) = delete;
  TempWriteLock& operator=(const TempWriteLock&) = delete;

  // False once remove_registered_temp_paths() has begun: leave the disk alone.
  bool allowed() const { return allowed_; }

 private:
  bool allowed_ = false;
};

// The error a writer returns when TempWriteLock::allowed() is false.
Status interrupted_error(const std::string& path);

// Runs write() (returning Status) under a TempWriteLock, or returns interrupted_error(path)
// without calling it once the interrupt cleanup has begun.
template <typename Fn>
Status write_under_temp_lock(const std::string& path, Fn&& write) {
  const TempWriteLock lock;
  if (!lock.allowed()) return interrupted_error(path);
  return write();
}

// Removes `path` recursively, best effort, until it is gone. Unlike one std::filesystem::remove_all
// it finishes when another thread removes the same tree at the same time (the interrupt path and
// a writer's own RAII cleanup do): an entry vanishing under it is not a failure, only a reason to
// look again.
void remove_tree(const std::string& path);

// Waits until no TempWriteLock is held, refuses every later one (for good: the process is about
// to exit), then removes (recursively, best effort) every path registered now. Thread-safe; meant
// for a signal-handling thread (not for an async signal handler: it allocates and locks). It must
// not be called by a thread holding a TempWriteLock.
void remove_registered_temp_paths();

}  // namespace gramlite
