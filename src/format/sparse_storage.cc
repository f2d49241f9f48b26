#include "format/sparse_storage.h"

#include <cstring>
#include <type_traits>

namespace gramlite::format {
namespace {

// One element as an unsigned integer of its size: "zero" means all bytes zero.
template <size_t kSize>
using Word = std::conditional_t<kSize == 1, uint8_t,
                                std::conditional_t<kSize == 2, uint16_t,
                                                   std::conditional_t<kSize == 4, uint32_t, uint64_t>>>;

template <size_t kSize>
Word<kSize> load(const uint8_t* p) {
  Word<kSize> w;
  std::memcpy(&w, p, kSize);
  return w;
}

// Calls f.template operator()<kSize>() for the element sizes gramlite's dtypes have.
template <typename F>
auto dispatch_size(size_t element_size, F&& f) {
  switch (element_size) {
    case 1: return f(std::integral_constant<size_t, 1>{});
    case 2: return f(std::integral_constant<size_t, 2>{});
    case 4: return f(std::integral_constant<size_t, 4>{});
    default: return f(std::integral_constant<size_t, 8>{});
  }
}

bool supported_size(size_t element_size) {
  return element_size == 1 || element_size == 2 || element_size == 4 || element_size == 8;
}

uint64_t bitmap_bytes(uint64_t element_count) { return element_count / 8 + (element_count % 8 != 0 ? 1 : 0); }

// A zero-size constant still needs a non-null (and aligned) Buffer: Tensor::is_constant.
Buffer allocate_dense(uint64_t bytes) {
  alignas(kBufferAlignment) static const uint8_t kNothing[kBufferAlignment] = {};
  if (bytes == 0) return Buffer::view(nullptr, kNothing, 0);
  return Buffer::allocate(static_cast<size_t>(bytes));
}

template <size_t kSize>
StorageSizes measure(const uint8_t* dense, uint64_t n) {
  StorageSizes s;
  uint64_t run = 0;  // zeros since the last index entry
  for (uint64_t i = 0; i < n; ++i) {
    if (load<kSize>(dense + i * kSize) != 0) {
      ++s.non_zero;
      ++s.index_entries;
      run = 0;
    } else if (run == kMaxIndexGap) {
      ++s.index_entries;  // a zero-valued padding entry
      run = 0;
    } else {
      ++run;
    }
  }
  s.dense = n * kSize;
  s.bitmap = bitmap_bytes(n) + s.non_zero * kSize;
  s.index = s.index_entries * (1 + kSize);
  return s;
}

template <size_t kSize>
void encode_bitmap(const uint8_t* dense, uint64_t n, uint8_t* out) {
  uint8_t* values = out + bitmap_bytes(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t* element = dense + i * kSize;
    if (load<kSize>(element) == 0) continue;
    out[i / 8] = static_cast<uint8_t>(out[i / 8] | (1u << (i % 8)));
    std::memcpy(values, element, kSize);
    values += kSize;
  }
}

template <size_t kSize>
void encode_index(const uint8_t* dense, uint64_t n, uint64_t entries, uint8_t* out) {
  uint8_t* gaps = out;
  uint8_t* values = out + entries;
  uint64_t run = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t* element = dense + i * kSize;
    if (load<kSize>(element) == 0 && run < kMaxIndexGap) {
      ++run;
      continue;
    }
    *gaps++ = static_cast<uint8_t>(run);
    std::memcpy(values, element, kSize);  // a padding entry stores its zero
    values += kSize;
    run = 0;
  }
}

template <size_t kSize>
Result<Buffer> decode_bitmap(const uint8_t* stored, uint64_t stored_size, uint64_t n) {
  const uint64_t map_bytes = bitmap_bytes(n);
  if (stored_size < map_bytes) {
    return corrupt_data("bitmap-encoded data is ", stored_size, " bytes, but the bitmap of ", n,
                        " elements alone needs ", map_bytes);
  }
  uint64_t set = 0;
  for (uint64_t b = 0; b < map_bytes; ++b) set += static_cast<uint64_t>(__builtin_popcount(stored[b]));
  if (n % 8 != 0 && (stored[map_bytes - 1] >> (n % 8)) != 0) {
    return corrupt_data("bitmap-encoded data marks elements past the last of ", n);
  }
  const uint64_t value_bytes = stored_size - map_bytes;
  if (value_bytes != set * kSize) {
    return corrupt_data("bitmap-encoded data marks ", set, " non-zero elements (", set * kSize,
                        " bytes of values), but ", value_bytes, " bytes follow the bitmap");
  }
  Buffer out = allocate_dense(n * kSize);
  if (out.size() != n * kSize) return internal_error("out of memory decoding ", n * kSize, " bytes");
  uint8_t* dense = out.mutable_data();
  const uint8_t* values = stored + map_bytes;
  for (uint64_t b = 0; b < map_bytes; ++b) {
    for (unsigned bits = stored[b]; bits != 0; bits &= bits - 1) {
      const uint64_t i = b * 8 + static_cast<uint64_t>(__builtin_ctz(bits));
      std::memcpy(dense + i * kSize, values, kSize);
      values += kSize;
    }
  }
  return out;
}

template <size_t kSize>
Result<Buffer> decode_index(const uint8_t* stored, uint64_t stored_size, uint64_t n) {
  constexpr uint64_t kEntry = 1 + kSize;
  if (stored_size % kEntry != 0) {
    return corrupt_data("index-encoded data is ", stored_size, " bytes, not a whole number of ", kEntry,
                        "-byte entries");
  }
  const uint64_t entries = stored_size / kEntry;
  // Each entry covers at most 256 elements and at most 255 zeros may follow the last one: a file
  // that claims a large tensor from a few bytes is refused before its dense buffer is allocated.
  const uint64_t needed = n / (kMaxIndexGap + 1);  // the least E with 256 E + 255 >= n
  if (entries < needed) {
    return corrupt_data("index-encoded data has ", entries, " entries, too few to cover ", n,
                        " elements (a run of zeros is at most ", kMaxIndexGap, " long)");
  }
  if (entries > n) {
    return corrupt_data("index-encoded data has ", entries, " entries for ", n, " elements");
  }
  Buffer out = allocate_dense(n * kSize);
  if (out.size() != n * kSize) return internal_error("out of memory decoding ", n * kSize, " bytes");
  uint8_t* dense = out.mutable_data();
  const uint8_t* values = stored + entries;
  uint64_t next = 0;  // the position an entry with gap 0 would take
  for (uint64_t k = 0; k < entries; ++k) {
    const uint64_t position = next + stored[k];
    if (position >= n) {
      return corrupt_data("index-encoded entry ", k, " is at element ", position, ", past the last of ", n);
    }
    std::memcpy(dense + position * kSize, values + k * kSize, kSize);
    next = position + 1;
  }
  if (n - next > kMaxIndexGap) {
    return corrupt_data("index-encoded data ends with a run of ", n - next, " zeros (at most ", kMaxIndexGap,
                        ": longer runs need padding entries)");
  }
  return out;
}

}  // namespace

uint64_t StorageSizes::of(ir::SparsityEncoding encoding) const {
  switch (encoding) {
    case ir::SparsityEncoding::kBitmap: return bitmap;
    case ir::SparsityEncoding::kIndex: return index;
    case ir::SparsityEncoding::kDense:
    case ir::SparsityEncoding::kBlockCsr:
    case ir::SparsityEncoding::kCount: break;
  }
  return dense;
}

StorageSizes measure_storage(const uint8_t* dense, uint64_t element_count, size_t element_size) {
  return dispatch_size(element_size, [&](auto size) { return measure<decltype(size)::value>(dense, element_count); });
}

ir::SparsityEncoding smallest_encoding(const StorageSizes& sizes) {
  ir::SparsityEncoding best = ir::SparsityEncoding::kDense;
  if (sizes.bitmap < sizes.of(best)) best = ir::SparsityEncoding::kBitmap;
  if (sizes.index < sizes.of(best)) best = ir::SparsityEncoding::kIndex;
  return best;
}

Result<Buffer> encode_sparse(ir::SparsityEncoding encoding, const uint8_t* dense, uint64_t element_count,
                             size_t element_size, const StorageSizes& sizes) {
  if (!supported_size(element_size)) return invalid_argument("no compact storage for ", element_size, "-byte elements");
  if (encoding != ir::SparsityEncoding::kBitmap && encoding != ir::SparsityEncoding::kIndex) {
    return invalid_argument("encode_sparse: ", ir::sparsity_encoding_name(encoding), " is not a compact encoding");
  }
  const uint64_t bytes = sizes.of(encoding);
  Buffer out = allocate_dense(bytes);
  if (out.size() != bytes) return internal_error("out of memory encoding ", bytes, " bytes");
  if (bytes == 0) return out;
  dispatch_size(element_size, [&](auto size) {
    constexpr size_t kSize = decltype(size)::value;
    if (encoding == ir::SparsityEncoding::kBitmap) {
      encode_bitmap<kSize>(dense, element_count, out.mutable_data());
    } else {
      encode_index<kSize>(dense, element_count, sizes.index_entries, out.mutable_data());
    }
  });
  return out;
}

Result<Buffer> decode_sparse(ir::SparsityEncoding encoding, const uint8_t* stored, uint64_t stored_size,
                             uint64_t element_count, size_t element_size) {
  if (!supported_size(element_size)) return invalid_argument("no compact storage for ", element_size, "-byte elements");
  return dispatch_size(element_size, [&](auto size) -> Result<Buffer> {
    constexpr size_t kSize = decltype(size)::value;
    switch (encoding) {
      case ir::SparsityEncoding::kBitmap: return decode_bitmap<kSize>(stored, stored_size, element_count);
      case ir::SparsityEncoding::kIndex: return decode_index<kSize>(stored, stored_size, element_count);
      default: break;
    }
    return invalid_argument("decode_sparse: ", ir::sparsity_encoding_name(encoding), " is not a compact encoding");
  });
}

}  // namespace gramlite::format
