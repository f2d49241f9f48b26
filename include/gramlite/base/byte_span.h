// A read-only view of bytes someone else owns: how a writer receives the pieces of a file (the
// model encoder's header, FlatBuffer and weights) without copying them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gramlite {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

}  // namespace gramlite
