// Buffer: immutable bytes with shared ownership, 64-byte aligned when gramlite allocates them.
//
// A buffer either owns its bytes or views bytes owned by someone else (a memory-mapped model
// file); in both cases the bytes stay valid for as long as any copy of the Buffer lives, because
// the Buffer holds a reference to the owner. Copying a Buffer never copies the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace gramlite {

inline constexpr size_t kBufferAlignment = 64;

class Buffer {
 public:
  Buffer() = default;

  // A new zero-filled, aligned buffer of `size` bytes, to be filled through mutable_data() before
  // it is shared. Allocation failure yields an empty buffer (size() == 0).
  static Buffer allocate(size_t size);
  static Buffer copy_of(const void* data, size_t size);
  // Views `size` bytes at `data`, kept alive by `owner`.
  static Buffer view(std::shared_ptr<const void> owner, const void* data, size_t size);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }

  // Writable access for the creator of a buffer made by allocate(); call before sharing it.
  uint8_t* mutable_data() { return const_cast<uint8_t*>(data_); }
  template <typename T>
  T* mutable_as() { return reinterpret_cast<T*>(mutable_data()); }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gramlite
