#include "train/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gramlite::train {

namespace {

bool names_file(const std::string& path, int fd) {
  struct stat by_path {};
  struct stat by_fd {};
  return ::stat(path.c_str(), &by_path) == 0 && ::fstat(fd, &by_fd) == 0 && by_path.st_dev == by_fd.st_dev &&
         by_path.st_ino == by_fd.st_ino;
}

}  // namespace

Result<std::unique_ptr<OutputLock>> OutputLock::acquire(const std::string& output) {
  const std::string path = output + ".lock";
  // A run that finishes removes the file while holding the lock; a run that opened it just before
  // then holds a lock on a file no longer in the folder, so it checks and tries again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot create the lock file '", path, "': ", std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      char text[32] = {};
      const ssize_t got = ::pread(fd, text, sizeof(text) - 1, 0);
      ::close(fd);
      if (error != EWOULDBLOCK) return io_error("cannot lock '", path, "': ", std::strerror(error));
      std::string pid = got > 0 ? std::string(text, static_cast<size_t>(got)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return invalid_argument("'", output, "' is being written by another training run",
                              pid.empty() ? std::string() : str_cat(" (pid ", pid, ")"), " holding '", path,
                              "'; wait for it to finish or choose another -o");
    }
    if (!names_file(path, fd)) {
      ::close(fd);
      continue;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      const int error = errno;
      ::close(fd);
      return io_error("cannot write the lock file '", path, "': ", std::strerror(error));
    }
    return std::unique_ptr<OutputLock>(new OutputLock(path, fd));
  }
  return io_error("cannot lock '", path, "': it keeps being replaced");
}

// Removed while still locked (acquire() copes with that); a killed run leaves the file, which the
// next run locks as usual since the kernel dropped the lock with the process.
OutputLock::~OutputLock() {
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace gramlite::train
