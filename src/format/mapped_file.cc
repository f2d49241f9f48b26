#include "format/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/input_file.h"

namespace gramlite::format {

// InputFile refuses what is not a regular file (a FIFO without blocking, a directory, /dev/zero)
// before anything is mapped; the descriptor closes when it goes, the mapping does not need it.
Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  GRAMLITE_ASSIGN_OR_RETURN(const InputFile file, InputFile::open(path));
  const size_t size = file.size();
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0));
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd(), 0);
  if (address == MAP_FAILED) return io_error("cannot map '", path, "': ", std::strerror(errno));
  return std::shared_ptr<const MappedFile>(new MappedFile(static_cast<const uint8_t*>(address), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace gramlite::format
