// ZipArchive: a read-only view of the STORED entries of a ZIP file, as torch.save writes them.
//
// PyTorch's archive writer stores every record uncompressed and pads local headers so that tensor
// data starts 64-byte aligned, which lets us hand out entry bytes as zero-copy views. We read the
// central directory (ZIP64 end records and extra fields included) and refuse compressed or
// encrypted entries with an error naming the entry, rather than pulling in a deflate library.
//
// Every offset and length read from the file is bounds-checked against the file size; a corrupt
// or truncated archive yields kCorruptData naming the archive and, where known, the entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"

namespace gramlite::interop {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;          // 0 = stored; anything else is refused by read()
  uint16_t flags = 0;           // general purpose bit flags (bit 0: encrypted)
  uint32_t crc32 = 0;           // of the uncompressed bytes, as the central directory records it
  uint64_t compressed_size = 0;
  uint64_t size = 0;            // uncompressed size
  uint64_t local_header_offset = 0;
};

class ZipArchive {
 public:
  // Parses the central directory of `bytes` (the whole file). `display_name` (usually the path)
  // is used in error messages. The archive keeps `bytes` alive; views returned by read() do too.
  static Result<ZipArchive> open(Buffer bytes, std::string display_name);
  // Reads the whole file at `path` into memory and parses it.
  static Result<ZipArchive> open_file(const std::string& path);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::string& display_name() const { return display_name_; }
  // The entry called exactly `name`, or nullptr.
  const ZipEntry* find(std::string_view name) const;

  // The entry's bytes as a view into the archive (no copy). Checks the local header, refuses
  // compressed / encrypted entries, and verifies the CRC-32 when `verify_crc` is set.
  Result<Buffer> read(const ZipEntry& entry, bool verify_crc = true) const;
  Result<Buffer> read(std::string_view name, bool verify_crc = true) const;

 private:
  ZipArchive() = default;

  Buffer bytes_;
  std::string display_name_;
  std::vector<ZipEntry> entries_;
};

// Whether `bytes` starts like a ZIP file (a local file header or an empty archive's end record).
bool looks_like_zip(const uint8_t* bytes, size_t size);

// CRC-32 (IEEE 802.3, as ZIP uses it) of `size` bytes.
uint32_t crc32_of(const uint8_t* data, size_t size);

// Reads a whole file into an aligned Buffer (base/input_file: FIFOs, directories and devices are
// refused without blocking); the error names the path.
Result<Buffer> read_whole_file(const std::string& path);

}  // namespace gramlite::interop
