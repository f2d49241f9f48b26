// Bad compactly stored tensors in whole files: each is refused with kCorruptData (or kUnsupported
// for what this version cannot read) naming the tensor, and damage anywhere never crashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "file_surgery.h"
#include "gramlite/format/model_file.h"
#include "test_models.h"

namespace gramlite::format {
namespace {

using ::testing::HasSubstr;
using testing::rewrite_graph;

const std::vector<uint8_t>& sparse_file() {
  static const std::vector<uint8_t> file = [] {
    auto bytes = serialize_model(testing::make_sparse_graph());
    EXPECT_TRUE(bytes.ok()) << bytes.status().message();
    return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
  }();
  return file;
}

fb::TensorT& tensor_named(fb::ModelT& m, const std::string& name) {
  for (auto& t : m.tensors) {
    if (t->name == name) return *t;
  }
  ADD_FAILURE() << "no tensor " << name;
  return *m.tensors.front();
}

// Where tensor `name`'s stored bytes start in the file.
size_t stored_at(const std::vector<uint8_t>& file, const std::string& name) {
  size_t at = 0;
  rewrite_graph(file, [&](fb::ModelT& m) {
    at = static_cast<size_t>(testing::header_of(file).weights_offset + tensor_named(m, name).data->offset());
  });
  return at;
}

// The file with its graph edited (checksums valid).
std::vector<uint8_t> edited(const std::function<void(fb::ModelT&)>& edit) { return rewrite_graph(sparse_file(), edit); }

// The file with some of tensor `name`'s stored bytes changed: {byte, new value} (checksums refreshed).
std::vector<uint8_t> patched(const std::string& name, const std::vector<std::pair<size_t, uint8_t>>& changes) {
  std::vector<uint8_t> file = sparse_file();
  const size_t at = stored_at(file, name);
  for (const auto& [byte, value] : changes) file[at + byte] = value;
  testing::refresh_checksums(file);
  return file;
}

Status load_status(const std::vector<uint8_t>& bytes) {
  auto graph = load_model_from_memory(nullptr, bytes.data(), bytes.size());
  return graph.ok() ? Status::Ok() : graph.status();
}

void set_size(fb::TensorT& t, uint64_t size) { t.data = std::make_unique<fb::DataRef>(t.data->offset(), size); }

TEST(SparseFileCorrupt, TheSeedLoads) {
  const Status s = load_status(sparse_file());
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(SparseFileCorrupt, EachCheckNamesTheTensor) {
  struct Case {
    const char* what;
    std::vector<uint8_t> file;
    const char* tensor;
    const char* message;
  };
  const Case cases[] = {
      // conv1.weight: bitmap of 128 fp32 (16 bytes), 32 values.
      {"truncated values", edited([](fb::ModelT& m) { set_size(tensor_named(m, "conv1.weight"), 16 + 31 * 4); }),
       "conv1.weight", "but 124 bytes follow the bitmap"},
      {"trailing bytes", edited([](fb::ModelT& m) { set_size(tensor_named(m, "conv1.weight"), 16 + 32 * 4 + 4); }),
       "conv1.weight", "but 132 bytes follow the bitmap"},
      {"bitmap cut short", edited([](fb::ModelT& m) { set_size(tensor_named(m, "conv1.weight"), 15); }),
       "conv1.weight", "alone needs 16"},
      {"popcount above the values", patched("conv1.weight", {{0, 0x13}}), "conv1.weight",
       "marks 33 non-zero elements"},
      // int8.bitmap: 35 elements, bits 35..39 of byte 4 unused.
      {"unused bits set", patched("int8.bitmap", {{4, 0x80}}), "int8.bitmap", "marks elements past the last of 35"},
      {"a larger shape than the bitmap", edited([](fb::ModelT& m) { tensor_named(m, "int8.bitmap").shape = {5, 700}; }),
       "int8.bitmap", "the bitmap of 3500 elements alone needs 438"},
      // conv2.weight: index of 512 fp32, 3 entries (gaps 0, 255, 254).
      {"part of an entry", edited([](fb::ModelT& m) { set_size(tensor_named(m, "conv2.weight"), 14); }),
       "conv2.weight", "not a whole number of 5-byte entries"},
      {"a position past the end", patched("conv2.weight", {{2, 255}}), "conv2.weight",
       "entry 2 is at element 512, past the last of 512"},
      {"too few entries", edited([](fb::ModelT& m) { tensor_named(m, "conv2.weight").shape = {32, 16, 4, 1}; }),
       "conv2.weight", "3 entries, too few to cover 2048 elements"},
      {"a long run of zeros at the end", patched("conv2.weight", {{1, 0}, {2, 0}}), "conv2.weight",
       "ends with a run of 509 zeros"},
      // int8.index: 40 elements, 2 entries.
      {"more entries than elements", edited([](fb::ModelT& m) { tensor_named(m, "int8.index").shape = {1}; }),
       "int8.index", "2 entries for 1 elements"},
      {"a shape beyond 2^48", edited([](fb::ModelT& m) { tensor_named(m, "int8.index").shape = {1 << 30, 1 << 30}; }),
       "int8.index", "more than 2^48 elements"},
      {"a dynamic shape", edited([](fb::ModelT& m) { tensor_named(m, "int8.index").shape = {-1, 8}; }), "int8.index",
       "is a constant with a dynamic shape"},
      {"an encoding on a tensor without data",
       edited([](fb::ModelT& m) {
         tensor_named(m, "x").sparsity = std::make_unique<fb::SparsityT>();
         tensor_named(m, "x").sparsity->encoding = 1;
       }),
       "'x'", "is stored bitmap-encoded but has no data"},
      // Two tensors on the same bytes: together more than the weights section holds.
      {"shared compact data", edited([](fb::ModelT& m) {
         // conv2.weight and int8.bitmap made to read conv1.weight's bitmap too: each decodes, but
         // the three together claim 3 x 144 bytes of a 324-byte weights section.
         const fb::DataRef shared = *tensor_named(m, "conv1.weight").data;
         for (const char* name : {"conv2.weight", "int8.bitmap"}) {
           fb::TensorT& t = tensor_named(m, name);
           t.shape = {16, 8, 1, 1};
           t.dtype = 0;
           t.quant.reset();
           t.sparsity->encoding = 1;
           t.data = std::make_unique<fb::DataRef>(shared);
         }
       }),
       "int8.bitmap", "add up to more than the 324-byte weights section"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Status s = load_status(c.file);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kCorruptData) << s.message();
    EXPECT_THAT(s.message(), HasSubstr(c.tensor));
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
}

TEST(SparseFileCorrupt, ReservedAndUnknownEncodingsAreUnsupported) {
  const auto with_encoding = [](uint8_t encoding) {
    return edited([encoding](fb::ModelT& m) { tensor_named(m, "conv1.weight").sparsity->encoding = encoding; });
  };
  const Status block_csr = load_status(with_encoding(2));
  EXPECT_EQ(block_csr.code(), StatusCode::kUnsupported);
  EXPECT_THAT(block_csr.message(), HasSubstr("'conv1.weight': sparsity encoding 2 (block-CSR) is reserved"));
  const Status unknown = load_status(with_encoding(4));
  EXPECT_EQ(unknown.code(), StatusCode::kUnsupported);
  EXPECT_THAT(unknown.message(), HasSubstr("sparsity encoding 4 is not known to this gramlite version"));
  // A bitmap tensor with a dtype this version does not know: unsupported, before any decoding.
  const Status dtype = load_status(edited([](fb::ModelT& m) { tensor_named(m, "conv1.weight").dtype = 200; }));
  EXPECT_EQ(dtype.code(), StatusCode::kUnsupported);
  EXPECT_THAT(dtype.message(), HasSubstr("dtype 200 is not known"));
}

TEST(SparseFileCorrupt, DamageAnywhereNeverCrashes) {
  // Every byte of the seed (graph and compact weights) flipped, without checksums: an error or a
  // graph that saves and loads back to the same bytes.
  const std::vector<uint8_t>& file = sparse_file();
  LoadOptions no_checksums;
  no_checksums.verify_checksum = false;
  int loaded = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      std::vector<uint8_t> bad = file;
      bad[i] ^= mask;
      auto graph = load_model_from_memory(nullptr, bad.data(), bad.size(), no_checksums);
      if (!graph.ok()) {
        EXPECT_FALSE(graph.status().message().empty());
        continue;
      }
      ++loaded;
      auto again = serialize_model(*graph);
      ASSERT_TRUE(again.ok()) << "byte " << i << ": " << again.status().message();
      auto reloaded = load_model_from_memory(nullptr, again->data(), again->size());
      ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
      auto third = serialize_model(*reloaded);
      ASSERT_TRUE(third.ok());
      EXPECT_EQ(*third, *again) << "byte " << i;
    }
  }
  EXPECT_GT(loaded, 0);  // value bytes flipped still load
}

}  // namespace
}  // namespace gramlite::format
