// A minimal ZIP writer for tests: STORED entries (or entries that claim another method), optional
// ZIP64 records, optional data alignment like PyTorch's writer. Lets the reader tests build exact
// archives, including malformed ones, without Python.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "interop/zip_reader.h"

namespace gramlite::interop::testing {

struct ZipBuildEntry {
  std::string name;
  std::string data;
  uint16_t method = 0;  // the bytes are written as given; a non-zero method only labels them
};

struct ZipBuildOptions {
  bool zip64 = false;    // saturate 32-bit fields and write ZIP64 extra fields and end records
  size_t alignment = 64; // pad local headers so data starts at a multiple (1: no padding)
  std::string comment;
};

inline void put16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}
inline void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v));
  put32(out, static_cast<uint32_t>(v >> 32));
}

inline std::string build_zip(const std::vector<ZipBuildEntry>& entries, const ZipBuildOptions& options = {}) {
  std::string out;
  std::string directory;
  for (const ZipBuildEntry& entry : entries) {
    const uint64_t offset = out.size();
    const uint32_t crc = crc32_of(reinterpret_cast<const uint8_t*>(entry.data.data()), entry.data.size());
    std::string extra;
    if (options.zip64) {
      put16(extra, 0x0001);
      put16(extra, 16);
      put64(extra, entry.data.size());
      put64(extra, entry.data.size());
    }
    // Padding extra field (id 0x4246 "FB", as PyTorch writes) to align the data.
    const size_t header_end = offset + 30 + entry.name.size() + extra.size();
    if (options.alignment > 1) {
      size_t pad = (options.alignment - (header_end + 4) % options.alignment) % options.alignment;
      put16(extra, 0x4246);
      put16(extra, static_cast<uint32_t>(pad));
      extra.append(pad, 'Z');
    }
    const uint32_t size32 = options.zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(entry.data.size());
    put32(out, 0x04034b50);
    put16(out, options.zip64 ? 45 : 20);
    put16(out, 0);
    put16(out, entry.method);
    put16(out, 0);
    put16(out, 0);
    put32(out, crc);
    put32(out, size32);
    put32(out, size32);
    put16(out, static_cast<uint32_t>(entry.name.size()));
    put16(out, static_cast<uint32_t>(extra.size()));
    out += entry.name;
    out += extra;
    out += entry.data;

    std::string central_extra;
    if (options.zip64) {
      put16(central_extra, 0x0001);
      put16(central_extra, 24);
      put64(central_extra, entry.data.size());
      put64(central_extra, entry.data.size());
      put64(central_extra, offset);
    }
    put32(directory, 0x02014b50);
    put16(directory, options.zip64 ? 45 : 20);
    put16(directory, options.zip64 ? 45 : 20);
    put16(directory, 0);
    put16(directory, entry.method);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, crc);
    put32(directory, size32);
    put32(directory, size32);
    put16(directory, static_cast<uint32_t>(entry.name.size()));
    put16(directory, static_cast<uint32_t>(central_extra.size()));
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, 0);
    put32(directory, options.zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(offset));
    directory += entry.name;
    directory += central_extra;
  }
  const uint64_t directory_offset = out.size();
  out += directory;
  if (options.zip64) {
    const uint64_t record_offset = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, entries.size());
    put64(out, entries.size());
    put64(out, directory.size());
    put64(out, directory_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, record_offset);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, options.zip64 ? 0xFFFF : static_cast<uint32_t>(entries.size()));
  put16(out, options.zip64 ? 0xFFFF : static_cast<uint32_t>(entries.size()));
  put32(out, options.zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(directory.size()));
  put32(out, options.zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(directory_offset));
  put16(out, static_cast<uint32_t>(options.comment.size()));
  out += options.comment;
  return out;
}

inline Buffer to_buffer(const std::string& bytes) { return Buffer::copy_of(bytes.data(), bytes.size()); }

}  // namespace gramlite::interop::testing
