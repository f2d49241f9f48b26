// Files a user names as input (a model, an ONNX or .pth file, an image): the one place that
// refuses what is not a regular file before anything reads it.
//
// open(2) on a FIFO with no writer blocks forever, a directory opens fine and reads as EISDIR or
// sizes as 2^63-1 through ftell, and /dev/zero never ends. Every reader of untrusted paths goes
// through here, so each of them says the same one line: "'PATH' is not a regular file (a FIFO)".
#pragma once

#include <cstdint>
#include <string>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"

namespace gramlite {

// An open, read-only descriptor of a regular file; closed when the object goes.
class InputFile {
 public:
  // Opens `path` without blocking (O_NONBLOCK: a FIFO with no writer would block open itself) and
  // refuses anything but a regular file (directory, FIFO, device, socket) with kNotFound, as a
  // missing path; other refusals by the system are kIoError. Messages name the path.
  static Result<InputFile> open(const std::string& path);

  InputFile(InputFile&& other) noexcept : fd_(other.fd_), size_(other.size_) { other.fd_ = -1; }
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  int fd() const { return fd_; }
  // The size fstat saw when the file was opened.
  size_t size() const { return size_; }
  // Reads size() bytes from the start into an aligned Buffer; `path` names the file in errors.
  Result<Buffer> read_all(const std::string& path) const;

 private:
  InputFile(int fd, size_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  size_t size_ = 0;
};

// Stat-only form of InputFile::open's checks, for readers that must hand a path to a library
// that opens it itself (same codes and messages; it does not open, so it never blocks).
Status check_regular_file(const std::string& path);

// Reads a whole regular file (InputFile::open's checks) into an aligned Buffer. Files over
// `max_bytes` are refused with kUnsupported before anything is allocated.
Result<Buffer> read_regular_file(const std::string& path, size_t max_bytes = SIZE_MAX);

}  // namespace gramlite
