// Compact sparse storage (format/sparse_storage.h, docs/model-format.md "Compact sparse storage"):
// the encodings against formulas worked out independently, the writer's choice of the smallest,
// and files that round-trip byte for byte with every value bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>

#include "format/sparse_storage.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/validate.h"
#include "temp_dir.h"
#include "test_models.h"

namespace gramlite::format {
namespace {

using ::testing::HasSubstr;
using ir::SparsityEncoding;

// `count` elements of `element_size` bytes, about `sparsity` of them all-zero (exactly none at 0
// and all at 1), the rest random with at least one non-zero byte. Float-sized elements include
// -0.0f (0x80000000): a non-zero to the format.
std::vector<uint8_t> random_elements(size_t count, size_t element_size, double sparsity, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> out(count * element_size, 0);
  for (size_t i = 0; i < count; ++i) {
    const bool zero = sparsity >= 1.0 || (sparsity > 0.0 && unit(rng) < sparsity);
    if (zero) continue;
    uint8_t* e = out.data() + i * element_size;
    for (size_t b = 0; b < element_size; ++b) e[b] = static_cast<uint8_t>(byte(rng));
    if (i % 17 == 5 && element_size == 4) {
      const uint32_t minus_zero = 0x80000000u;
      std::memcpy(e, &minus_zero, 4);
    }
    e[i % element_size] |= 1;  // never all zero
  }
  return out;
}

bool is_zero(const uint8_t* e, size_t element_size) {
  for (size_t b = 0; b < element_size; ++b) {
    if (e[b] != 0) return false;
  }
  return true;
}

// The sizes worked out from the runs of zeros: a run of r zeros costs floor(r / 256) padding
// entries in the index encoding (the 256th zero of a run becomes an entry).
StorageSizes expected_sizes(const std::vector<uint8_t>& dense, size_t element_size) {
  const size_t n = dense.size() / element_size;
  StorageSizes s;
  uint64_t padding = 0;
  uint64_t run = 0;
  for (size_t i = 0; i < n; ++i) {
    if (is_zero(dense.data() + i * element_size, element_size)) {
      ++run;
      continue;
    }
    ++s.non_zero;
    padding += run / 256;
    run = 0;
  }
  padding += run / 256;
  s.index_entries = s.non_zero + padding;
  s.dense = n * element_size;
  s.bitmap = (n + 7) / 8 + s.non_zero * element_size;
  s.index = s.index_entries * (1 + element_size);
  return s;
}

std::vector<uint8_t> bytes_of(const Buffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

TEST(SparseStorage, SizesMatchTheRunsOfZerosAndBothEncodingsDecodeBitForBit) {
  const size_t sizes[] = {1, 2, 4, 8};
  const double sparsities[] = {0.0, 0.5, 0.9, 0.99, 0.999, 1.0};
  const size_t counts[] = {0, 1, 7, 8, 9, 255, 256, 257, 511, 512, 4099};
  uint32_t seed = 1;
  for (size_t element_size : sizes) {
    for (double sparsity : sparsities) {
      for (size_t n : counts) {
        SCOPED_TRACE(::testing::Message() << element_size << "-byte elements, n " << n << ", sparsity " << sparsity);
        const std::vector<uint8_t> dense = random_elements(n, element_size, sparsity, seed++);
        const StorageSizes got = measure_storage(dense.data(), n, element_size);
        const StorageSizes want = expected_sizes(dense, element_size);
        EXPECT_EQ(got.dense, want.dense);
        EXPECT_EQ(got.bitmap, want.bitmap);
        EXPECT_EQ(got.index, want.index);
        EXPECT_EQ(got.non_zero, want.non_zero);
        for (SparsityEncoding encoding : {SparsityEncoding::kBitmap, SparsityEncoding::kIndex}) {
          auto stored = encode_sparse(encoding, dense.data(), n, element_size, got);
          ASSERT_TRUE(stored.ok()) << stored.status().message();
          EXPECT_EQ(stored->size(), got.of(encoding));
          auto decoded = decode_sparse(encoding, stored->data(), stored->size(), n, element_size);
          ASSERT_TRUE(decoded.ok()) << ir::sparsity_encoding_name(encoding) << ": " << decoded.status().message();
          EXPECT_EQ(bytes_of(*decoded), dense) << ir::sparsity_encoding_name(encoding);
          EXPECT_EQ(reinterpret_cast<uintptr_t>(decoded->data()) % kBufferAlignment, 0u);
          EXPECT_NE(decoded->data(), nullptr);  // a constant, even with no elements
        }
      }
    }
  }
}

TEST(SparseStorage, BitmapLayoutByHand) {
  // int16 elements 0, 5, 0, 0, -1, 0, 0, 0, 0, 7 (n = 10): bits 1, 4, 9 -> bytes 0x12, 0x02.
  const std::vector<int16_t> values = {0, 5, 0, 0, -1, 0, 0, 0, 0, 7};
  const auto* dense = reinterpret_cast<const uint8_t*>(values.data());
  const StorageSizes sizes = measure_storage(dense, values.size(), 2);
  auto stored = encode_sparse(SparsityEncoding::kBitmap, dense, values.size(), 2, sizes);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(bytes_of(*stored), (std::vector<uint8_t>{0x12, 0x02, 0x05, 0x00, 0xFF, 0xFF, 0x07, 0x00}));
}

TEST(SparseStorage, IndexLayoutByHandWithAPaddingEntry) {
  // int8: 3 at 0, 4 at 2, then 300 zeros, 9 at 303, then 3 zeros (n = 307). Gaps: 0, 1, then the
  // 256th zero after element 2 (element 258) is a zero-valued padding entry with gap 255, then 9
  // with gap 303 - 258 - 1 = 44. Gaps first, then the values.
  std::vector<uint8_t> dense(307, 0);
  dense[0] = 3;
  dense[2] = 4;
  dense[303] = 9;
  const StorageSizes sizes = measure_storage(dense.data(), dense.size(), 1);
  EXPECT_EQ(sizes.index_entries, 4u);
  auto stored = encode_sparse(SparsityEncoding::kIndex, dense.data(), dense.size(), 1, sizes);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(bytes_of(*stored), (std::vector<uint8_t>{0, 1, 255, 44, 3, 4, 0, 9}));
}

TEST(SparseStorage, TheSmallestEncodingIsChosenAndTiesGoToDense) {
  StorageSizes s;
  s.dense = 100;
  s.bitmap = 100;
  s.index = 100;
  EXPECT_EQ(smallest_encoding(s), SparsityEncoding::kDense);
  s.bitmap = 99;
  EXPECT_EQ(smallest_encoding(s), SparsityEncoding::kBitmap);
  s.index = 99;
  EXPECT_EQ(smallest_encoding(s), SparsityEncoding::kBitmap);
  s.index = 98;
  EXPECT_EQ(smallest_encoding(s), SparsityEncoding::kIndex);
  s.bitmap = 101;
  s.index = 101;
  EXPECT_EQ(smallest_encoding(s), SparsityEncoding::kDense);
  // Measured: fp32 at 0 % -> dense, 50 % -> bitmap, 99 % -> index, all zero -> index.
  const size_t n = 10000;
  const std::map<double, SparsityEncoding> expected = {{0.0, SparsityEncoding::kDense},
                                                       {0.5, SparsityEncoding::kBitmap},
                                                       {0.99, SparsityEncoding::kIndex},
                                                       {1.0, SparsityEncoding::kIndex}};
  for (const auto& [sparsity, encoding] : expected) {
    const auto dense = random_elements(n, 4, sparsity, 99);
    EXPECT_EQ(smallest_encoding(measure_storage(dense.data(), n, 4)), encoding) << sparsity;
  }
}

TEST(SparseStorage, CorruptEncodingsAreRefusedBeforeAllocating) {
  struct Case {
    SparsityEncoding encoding;
    std::vector<uint8_t> stored;
    uint64_t count;
    const char* message;
  };
  const Case cases[] = {
      // bitmap, int8, n = 10: bytes 0x12 0x02 then 3 values.
      {SparsityEncoding::kBitmap, {0x12, 0x02, 1, 2}, 10, "marks 3 non-zero elements (3 bytes of values), but 2"},
      {SparsityEncoding::kBitmap, {0x12, 0x02, 1, 2, 3, 4}, 10, "but 4 bytes follow the bitmap"},
      {SparsityEncoding::kBitmap, {0x12}, 10, "the bitmap of 10 elements alone needs 2"},
      {SparsityEncoding::kBitmap, {0x12, 0x06, 1, 2, 3, 4}, 10, "marks elements past the last of 10"},
      // 2^40 elements claimed by a few bytes: refused by the size checks, nothing allocated.
      {SparsityEncoding::kBitmap, {0xFF, 1, 2}, uint64_t{1} << 40, "alone needs 137438953472"},
      // index, int8: entries of 2 bytes.
      {SparsityEncoding::kIndex, {0, 1, 3}, 10, "not a whole number of 2-byte entries"},
      {SparsityEncoding::kIndex, {0, 9}, uint64_t{1} << 40, "too few to cover 1099511627776 elements"},
      {SparsityEncoding::kIndex, {0, 9, 1, 2}, 2, "entry 1 is at element 10, past the last of 2"},
      {SparsityEncoding::kIndex, {0, 0, 0, 1, 1, 1}, 2, "3 entries for 2 elements"},
      {SparsityEncoding::kIndex, {0, 0, 0, 1, 2, 3}, 768, "ends with a run of 765 zeros"},
      {SparsityEncoding::kIndex, {}, 256, "too few to cover 256 elements"},
  };
  for (const Case& c : cases) {
    auto decoded = decode_sparse(c.encoding, c.stored.data(), c.stored.size(), c.count, 1);
    ASSERT_FALSE(decoded.ok()) << c.message;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruptData) << c.message;
    EXPECT_THAT(decoded.status().message(), HasSubstr(c.message));
  }
  // The limits are exact: 255 trailing zeros and no entries are fine.
  std::vector<uint8_t> none;
  auto zeros = decode_sparse(SparsityEncoding::kIndex, none.data(), 0, 255, 4);
  ASSERT_TRUE(zeros.ok()) << zeros.status().message();
  EXPECT_EQ(bytes_of(*zeros), std::vector<uint8_t>(255 * 4, 0));
}

// --- Whole files ---------------------------------------------------------------------------------

// A graph whose only tensors are unread constants of each dtype and sparsity (plus a Relu so that
// it has an input and an output).
struct SweepGraph {
  ir::Graph graph;
  std::vector<std::pair<ir::TensorId, double>> constants;  // tensor, sparsity
};

SweepGraph make_sweep_graph(size_t count) {
  SweepGraph s;
  ir::Graph& g = s.graph;
  const ir::TensorId x = g.add_value("x", {1, 4});
  const ir::TensorId y = g.add_value("y", {1, 4});
  ir::Node relu;
  relu.name = "relu";
  relu.kind = ir::OpKind::kRelu;
  relu.inputs = {x};
  relu.outputs = {y};
  g.add_node(relu);
  g.inputs = {x};
  g.outputs = {y};
  uint32_t seed = 7;
  for (ir::DType dtype : {ir::DType::kFloat32, ir::DType::kFloat16, ir::DType::kInt8, ir::DType::kInt32}) {
    for (double sparsity : {0.0, 0.5, 0.9, 0.99, 1.0}) {
      const size_t element_size = ir::dtype_size(dtype);
      const auto bytes = random_elements(count, element_size, sparsity, seed++);
      const std::string name = std::string(ir::dtype_name(dtype)) + "@" + std::to_string(sparsity);
      const ir::TensorId t = g.add_constant(name, {static_cast<int64_t>(count)}, dtype,
                                            Buffer::copy_of(bytes.data(), bytes.size()));
      if (dtype == ir::DType::kInt8) g.tensor(t).quant = {{0.5f}, {}, -1};
      g.tensor(t).sparsity.target_sparsity = static_cast<float>(sparsity);
      g.tensor(t).sparsity.block_shape = {1, 4};
      s.constants.push_back({t, sparsity});
    }
  }
  return s;
}

TEST(SparseFile, RoundTripIsByteExactAndValuesBitForBit) {
  testing::TempDir dir;
  const SweepGraph sweep = make_sweep_graph(3000);
  ASSERT_TRUE(ir::validate(sweep.graph).ok());
  const std::string path = dir.file("sweep.gramlite");
  ASSERT_TRUE(save_model(sweep.graph, path).ok());
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (const auto& [id, sparsity] : sweep.constants) {
    const ir::Tensor& want = sweep.graph.tensor(id);
    const ir::Tensor& got = loaded->tensor(id);
    SCOPED_TRACE(want.name);
    EXPECT_EQ(got.sparsity.encoding, SparsityEncoding::kDense);  // in memory, always
    EXPECT_EQ(got.sparsity.block_shape, want.sparsity.block_shape);
    EXPECT_EQ(got.sparsity.target_sparsity, want.sparsity.target_sparsity);
    EXPECT_EQ(bytes_of(got.data), bytes_of(want.data));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data.data()) % kWeightAlignment, 0u);
  }
  // Stored as the smallest encoding; every encoding is hit.
  auto summary = read_file_summary(path);
  ASSERT_TRUE(summary.ok());
  std::set<SparsityEncoding> hit;
  for (const StoredTensor& stored : summary->stored_tensors) {
    const ir::Tensor& t = sweep.graph.tensor(stored.tensor);
    const StorageSizes sizes = measure_storage(t.data.data(), 3000, ir::dtype_size(t.dtype));
    EXPECT_EQ(stored.name, t.name);
    EXPECT_EQ(stored.encoding, smallest_encoding(sizes)) << t.name;
    EXPECT_EQ(stored.stored_bytes, sizes.of(stored.encoding)) << t.name;
    EXPECT_EQ(stored.dense_bytes, t.data.size());
    hit.insert(stored.encoding);
  }
  EXPECT_EQ(hit, (std::set<SparsityEncoding>{SparsityEncoding::kDense, SparsityEncoding::kBitmap,
                                             SparsityEncoding::kIndex}));
  // save -> load -> save is byte-exact.
  auto first = serialize_model(sweep.graph);
  auto second = serialize_model(*loaded);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(SparseFile, CompactionShrinksTheFileAndCanBeTurnedOff) {
  const SweepGraph sweep = make_sweep_graph(20000);
  SaveOptions dense_only;
  dense_only.compact_sparse_weights = false;
  auto compact = serialize_model(sweep.graph);
  auto dense = serialize_model(sweep.graph, dense_only);
  ASSERT_TRUE(compact.ok() && dense.ok());
  // Of each dtype's five tensors one is dense, one half zeros, three mostly zeros: about 2.9x
  // smaller in all.
  EXPECT_LT(compact->size() * 2, dense->size());
  auto from_dense = load_model_from_memory(nullptr, dense->data(), dense->size());
  auto from_compact = load_model_from_memory(nullptr, compact->data(), compact->size());
  ASSERT_TRUE(from_dense.ok() && from_compact.ok());
  for (const auto& [id, sparsity] : sweep.constants) {
    EXPECT_EQ(bytes_of(from_dense->tensor(id).data), bytes_of(sweep.graph.tensor(id).data));
    EXPECT_EQ(bytes_of(from_compact->tensor(id).data), bytes_of(sweep.graph.tensor(id).data));
  }
  // Either file saves back to itself (with its options).
  auto dense_again = serialize_model(*from_compact, dense_only);
  ASSERT_TRUE(dense_again.ok());
  EXPECT_EQ(*dense_again, *dense);
}

constexpr size_t kElements = 1 << 20;

TEST(SparseFile, NinetyPercentSparseWeightsMakeTheFileSmallWithoutGzip) {
  // One 1M-element weight at 90 % zeros: fp32 at most 1/6 of the dense file, int8 at most 1/15
  // of the dense fp32 file (the issue's marks), raw.
  const auto make = [](ir::DType dtype, double sparsity) {
    ir::Graph g;
    const ir::TensorId x = g.add_value("x", {1, 4});
    const ir::TensorId y = g.add_value("y", {1, 4});
    ir::Node relu;
    relu.name = "relu";
    relu.kind = ir::OpKind::kRelu;
    relu.inputs = {x};
    relu.outputs = {y};
    g.add_node(relu);
    g.inputs = {x};
    g.outputs = {y};
    const auto bytes = random_elements(kElements, ir::dtype_size(dtype), sparsity, 3);
    const ir::TensorId w = g.add_constant("w", {static_cast<int64_t>(kElements)}, dtype, Buffer::copy_of(bytes.data(), bytes.size()));
    if (dtype == ir::DType::kInt8) g.tensor(w).quant = {{0.5f}, {}, -1};
    auto file = serialize_model(g);
    EXPECT_TRUE(file.ok());
    return file.ok() ? file->size() : size_t{0};
  };
  const size_t dense_fp32 = make(ir::DType::kFloat32, 0.0);
  EXPECT_GE(dense_fp32, kElements * 4);
  EXPECT_LE(make(ir::DType::kFloat32, 0.9) * 6, dense_fp32);
  EXPECT_LE(make(ir::DType::kInt8, 0.9) * 15, dense_fp32);
}

TEST(SparseFile, EncodedTensorsInMemoryAreRefusedByTheWriter) {
  for (SparsityEncoding encoding : {SparsityEncoding::kBitmap, SparsityEncoding::kBlockCsr, SparsityEncoding::kIndex}) {
    ir::Graph g = testing::make_tiny_graph();
    g.tensor(*g.find_tensor("w")).sparsity.encoding = encoding;
    auto bytes = serialize_model(g);
    ASSERT_FALSE(bytes.ok());
    EXPECT_THAT(bytes.status().message(), HasSubstr("'w'"));
    EXPECT_THAT(bytes.status().message(), HasSubstr("tensors in memory hold dense data"));
  }
}

TEST(SparseFile, SparseSeedGraphStoresEachEncodingAsDocumented) {
  testing::TempDir dir;
  const std::string path = dir.file("sparse.gramlite");
  const ir::Graph graph = testing::make_sparse_graph();
  ASSERT_TRUE(save_model(graph, path).ok());
  auto summary = read_file_summary(path);
  ASSERT_TRUE(summary.ok());
  std::map<std::string, std::pair<SparsityEncoding, uint64_t>> stored;
  for (const StoredTensor& t : summary->stored_tensors) stored[t.name] = {t.encoding, t.stored_bytes};
  using P = std::pair<SparsityEncoding, uint64_t>;
  EXPECT_EQ(stored["conv1.weight"], P(SparsityEncoding::kBitmap, 16 + 32 * 4));
  EXPECT_EQ(stored["conv2.weight"], P(SparsityEncoding::kIndex, 3 * 5));
  EXPECT_EQ(stored["int8.bitmap"], P(SparsityEncoding::kBitmap, 5 + 12));
  EXPECT_EQ(stored["int8.index"], P(SparsityEncoding::kIndex, 2 * 2));
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    EXPECT_EQ(bytes_of(loaded->tensors[i].data), bytes_of(graph.tensors[i].data)) << graph.tensors[i].name;
  }
}

}  // namespace
}  // namespace gramlite::format
