// A read-only view of bytes someone else owns: how the encoder hands the pieces of a file to the
// writer without copying weights.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gramlite::format {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

}  // namespace gramlite::format
