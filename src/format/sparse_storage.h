// Compact storage of mostly-zero constants in the model file (docs/model-format.md, "Compact
// sparse storage").
//
// In memory every tensor is dense. The writer measures each constant and stores it in the
// smallest of three encodings:
//   dense  : the elements, row-major (N x size bytes);
//   bitmap : ceil(N / 8) bytes, bit i (LSB first) set when element i is non-zero, then the
//            non-zero elements in order;
//   index  : E gap bytes, then E elements: entry k lies `gap[k]` elements after entry k - 1 (the
//            first after position -1); every run of zeros, the one after the last entry included,
//            is at most 255 long, longer runs are broken by zero-valued padding entries.
// A zero is an element whose bytes are all zero (so -0.0f is a non-zero: it is stored and comes
// back bit for bit). The loader decodes the compact encodings into a new 64-byte aligned Buffer;
// every inconsistency is kCorruptData, found before anything is allocated where the sizes allow.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"
#include "gramlite/ir/tensor.h"

namespace gramlite::format {

// The longest run of zeros the index encoding skips with one gap byte.
inline constexpr uint64_t kMaxIndexGap = 255;

// What each encoding would take, in bytes, for `element_count` elements of `element_size` bytes.
struct StorageSizes {
  uint64_t dense = 0;
  uint64_t bitmap = 0;
  uint64_t index = 0;
  uint64_t non_zero = 0;        // elements with a non-zero byte
  uint64_t index_entries = 0;   // non-zero elements + zero-valued padding entries

  uint64_t of(ir::SparsityEncoding encoding) const;
};
StorageSizes measure_storage(const uint8_t* dense, uint64_t element_count, size_t element_size);

// The smallest encoding; on a tie dense (used in place from the mapping), then bitmap, then index.
ir::SparsityEncoding smallest_encoding(const StorageSizes& sizes);

// The stored bytes of `dense` in `encoding` (bitmap or index), exactly sizes.of(encoding) long.
// Errors: an encoding other than those two (kInvalidArgument); out of memory (kInternal).
Result<Buffer> encode_sparse(ir::SparsityEncoding encoding, const uint8_t* dense, uint64_t element_count,
                             size_t element_size, const StorageSizes& sizes);

// The dense bytes (element_count x element_size, 64-byte aligned, newly allocated) of `stored`
// in `encoding` (bitmap or index). `element_count` x `element_size` must not overflow (the shape
// checks bound it by 2^48 x 8). Checked: the bitmap's length and unused bits, the value bytes
// against the bitmap's count, whole index entries, enough entries to cover the tensor, positions
// past the end, over-long runs of zeros. Errors name the problem, not the tensor (the caller does).
Result<Buffer> decode_sparse(ir::SparsityEncoding encoding, const uint8_t* stored, uint64_t stored_size,
                             uint64_t element_count, size_t element_size);

}  // namespace gramlite::format
