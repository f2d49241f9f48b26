// One training run per output: an exclusive flock(2) on "OUTPUT.lock", held while the run writes
// its model, checkpoint and logs, so that two runs on the same -o cannot mix their files. The
// kernel drops the lock when the process ends, however it ends, so a killed run never blocks the
// next one. The file holds the pid of the run that holds it, for the message; it is removed when the
// run ends.
#pragma once

#include <memory>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/base/temp_paths.h"

namespace gramlite::train {

class OutputLock {
 public:
  // Fails (invalid argument, naming the other run's pid) when another process holds the lock.
  static Result<std::unique_ptr<OutputLock>> acquire(const std::string& output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  OutputLock(std::string path, int fd) : path_(std::move(path)), fd_(fd), registered_(path_) {}
  std::string path_;
  int fd_;
  ScopedTempPath registered_;  // an interrupted run (Ctrl-C) removes the file too
};

}  // namespace gramlite::train
