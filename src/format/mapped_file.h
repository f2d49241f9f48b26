// A read-only memory mapping of a whole file (POSIX mmap).
//
// Loading maps the model instead of reading it, so weights are used in place: no copy, no
// allocation, and pages the runtime never touches are never read from disk. Tensors keep the
// mapping alive through Buffer owners (shared_ptr), so it is unmapped when the last weight goes.
//
// The mapping is MAP_PRIVATE and read-only: writes to the file by another process after mapping
// may or may not show through, and truncating the file under a live mapping makes touching the
// lost pages raise SIGBUS. Models are written by rename (save_model), which never does either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gramlite/base/status.h"

namespace gramlite::format {

class MappedFile {
 public:
  // Maps `path`. Errors (missing file, permission; a directory, FIFO or device, refused without
  // blocking) name the path.
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Valid for the lifetime of this object; nullptr when the file is empty.
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gramlite::format
