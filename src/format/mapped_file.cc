#include "format/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gramlite::format {
namespace {

// Closes the descriptor on every path out of open(); the mapping does not need it.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status errno_status(const std::string& what, const std::string& path, int error) {
  const std::string message = str_cat("cannot ", what, " '", path, "': ", std::strerror(error));
  return error == ENOENT ? not_found(message) : io_error(message);
}

}  // namespace

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  int raw_fd = -1;
  do {
    raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (raw_fd < 0 && errno == EINTR);
  if (raw_fd < 0) return errno_status("open", path, errno);
  FileDescriptor fd(raw_fd);

  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return errno_status("stat", path, errno);
  // A directory opens fine read-only and a pipe has no size: refuse both with a clear message
  // instead of mapping nothing.
  if (!S_ISREG(info.st_mode)) return invalid_argument("'", path, "' is not a regular file");
  if (info.st_size < 0 || static_cast<uint64_t>(info.st_size) > SIZE_MAX) {
    return io_error("'", path, "' is too large to map on this system");
  }
  const auto size = static_cast<size_t>(info.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0));

  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) return errno_status("map", path, errno);
  return std::shared_ptr<const MappedFile>(new MappedFile(static_cast<const uint8_t*>(address), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace gramlite::format
