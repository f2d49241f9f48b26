// ByteReader: a bounds-checked little-endian cursor over untrusted bytes.
//
// Every read reports whether the bytes were there instead of trusting a length field; callers turn
// a failed read into a kCorruptData error that names the file. Values are assembled byte by byte
// so the code is independent of host endianness and alignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gramlite {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t position() const { return position_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - position_; }
  bool at_end() const { return position_ == size_; }

  bool seek(size_t position) {
    if (position > size_) return false;
    position_ = position;
    return true;
  }
  bool skip(uint64_t count) {
    if (count > remaining()) return false;
    position_ += static_cast<size_t>(count);
    return true;
  }

  bool read_u8(uint8_t& out) { return read_uint(1, out); }
  bool read_u16(uint16_t& out) { return read_uint(2, out); }
  bool read_u32(uint32_t& out) { return read_uint(4, out); }
  bool read_u64(uint64_t& out) { return read_uint(8, out); }

  // A pointer to the next `count` bytes (advancing past them), or nullptr if fewer remain.
  const uint8_t* take(uint64_t count) {
    if (count > remaining()) return nullptr;
    const uint8_t* start = data_ + position_;
    position_ += static_cast<size_t>(count);
    return start;
  }
  bool read_string(uint64_t count, std::string& out) {
    const uint8_t* bytes = take(count);
    if (bytes == nullptr) return false;
    out.assign(reinterpret_cast<const char*>(bytes), static_cast<size_t>(count));
    return true;
  }

 private:
  template <typename T>
  bool read_uint(size_t bytes, T& out) {
    if (bytes > remaining()) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(data_[position_ + i]) << (8 * i);
    position_ += bytes;
    out = static_cast<T>(value);
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

}  // namespace gramlite
