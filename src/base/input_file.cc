#include "base/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace gramlite {
namespace {

Status errno_status(const char* what, const std::string& path, int error) {
  const std::string message = str_cat("cannot ", what, " '", path, "': ", std::strerror(error));
  return error == ENOENT || error == ENOTDIR ? not_found(message) : io_error(message);
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

// One check for open() and check_regular_file(): regular, and a size that fits in memory.
Result<size_t> regular_size(const struct stat& info, const std::string& path) {
  // kNotFound (exit 3, like a missing file): there is no file to read at that path. Slides say the same.
  if (!S_ISREG(info.st_mode)) return not_found("'", path, "' is not a regular file (", kind_of(info.st_mode), ")");
  if (info.st_size < 0 || static_cast<uint64_t>(info.st_size) > SIZE_MAX) {
    return io_error("'", path, "' is too large for this system");
  }
  return static_cast<size_t>(info.st_size);
}

}  // namespace

Result<InputFile> InputFile::open(const std::string& path) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_status("open", path, errno);
  InputFile file(fd, 0);  // closes fd on every error below
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_status("stat", path, errno);
  GRAMLITE_ASSIGN_OR_RETURN(file.size_, regular_size(info, path));
  // O_NONBLOCK means nothing for a regular file's reads; clearing it keeps read() plain anyway.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return file;
}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    other.fd_ = -1;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status check_regular_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return errno_status("open", path, errno);
  Result<size_t> size = regular_size(info, path);
  return size.ok() ? Status::Ok() : size.status();
}

Result<Buffer> InputFile::read_all(const std::string& path) const {
  if (size_ == 0) return Buffer();
  Buffer buffer = Buffer::allocate(size_);
  if (buffer.size() != size_) return io_error("cannot allocate ", size_, " bytes to read '", path, "'");
  size_t done = 0;
  while (done < size_) {
    const ssize_t n = ::pread(fd_, buffer.mutable_data() + done, size_ - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("read", path, errno);
    if (n == 0) return io_error("'", path, "' shrank while it was read (", done, " of ", size_, " bytes)");
    done += static_cast<size_t>(n);
  }
  return buffer;
}

Result<Buffer> read_regular_file(const std::string& path, size_t max_bytes) {
  GRAMLITE_ASSIGN_OR_RETURN(const InputFile file, InputFile::open(path));
  if (file.size() > max_bytes) {
    return unsupported("'", path, "' holds ", file.size(), " bytes, more than the ", max_bytes, " this reader accepts");
  }
  return file.read_all(path);
}

}  // namespace gramlite
