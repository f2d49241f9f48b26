#include "gramlite/base/buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace gramlite {

Buffer Buffer::allocate(size_t size) {
  Buffer buffer;
  if (size == 0) return buffer;
  const size_t rounded = (size + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  void* memory = std::aligned_alloc(kBufferAlignment, rounded);
  if (memory == nullptr) return buffer;
  std::memset(memory, 0, rounded);
  buffer.owner_ = std::shared_ptr<const void>(memory, [](const void* p) { std::free(const_cast<void*>(p)); });
  buffer.data_ = static_cast<const uint8_t*>(memory);
  buffer.size_ = size;
  return buffer;
}

Buffer Buffer::copy_of(const void* data, size_t size) {
  Buffer buffer = allocate(size);
  if (buffer.size() == size && size > 0) std::memcpy(buffer.mutable_data(), data, size);
  return buffer;
}

Buffer Buffer::view(std::shared_ptr<const void> owner, const void* data, size_t size) {
  Buffer buffer;
  buffer.owner_ = std::move(owner);
  buffer.data_ = static_cast<const uint8_t*>(data);
  buffer.size_ = size;
  return buffer;
}

}  // namespace gramlite
