// serialize -> load gives back the same graph, field by field and byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "gramlite/format/model_file.h"
#include "graph_equality.h"
#include "gramlite/ir/validate.h"
#include "temp_dir.h"
#include "test_models.h"

namespace gramlite::format {
namespace {

using testing::expect_graphs_equal;
using testing::make_every_op_graph;
using testing::make_tiny_graph;

// An owner-less view of a vector for load_model_from_memory (the vector outlives the graph).
Result<ir::Graph> load_bytes(const std::vector<uint8_t>& bytes, const LoadOptions& options = {}) {
  return load_model_from_memory(nullptr, bytes.data(), bytes.size(), options);
}

TEST(RoundTrip, EveryOpGraphIsValidAndCoversEveryOpKind) {
  const ir::Graph graph = make_every_op_graph();
  const Status s = ir::validate(graph);
  ASSERT_TRUE(s.ok()) << s.message();
  std::set<ir::OpKind> kinds;
  std::set<ir::Activation> activations;
  for (const ir::Node& node : graph.nodes) {
    kinds.insert(node.kind);
    activations.insert(node.fused_activation);
  }
  EXPECT_EQ(kinds.size(), static_cast<size_t>(ir::OpKind::kCount));
  EXPECT_EQ(activations.size(), static_cast<size_t>(ir::Activation::kCount));
  std::set<ir::DType> dtypes;
  for (const ir::Tensor& t : graph.tensors) dtypes.insert(t.dtype);
  EXPECT_EQ(dtypes.size(), static_cast<size_t>(ir::DType::kCount));
}

TEST(RoundTrip, SaveAndLoadGiveTheSameGraph) {
  testing::TempDir dir;
  const ir::Graph graph = make_every_op_graph();
  const std::string path = dir.file("every_op.gramlite");
  const Status saved = save_model(graph, path);
  ASSERT_TRUE(saved.ok()) << saved.message();
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  expect_graphs_equal(graph, *loaded);
}

TEST(RoundTrip, FromMemoryGivesTheSameGraph) {
  const ir::Graph graph = make_every_op_graph();
  auto bytes = serialize_model(graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto loaded = load_bytes(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  expect_graphs_equal(graph, *loaded);
}

TEST(RoundTrip, SerializeLoadSerializeIsByteExact) {
  auto first = serialize_model(make_every_op_graph());
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto loaded = load_bytes(*first);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto second = serialize_model(*loaded);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(*first, *second);
}

TEST(RoundTrip, SerializationIsDeterministic) {
  auto a = serialize_model(make_every_op_graph());
  auto b = serialize_model(make_every_op_graph());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(RoundTrip, SavedFileEqualsSerializedBytes) {
  testing::TempDir dir;
  const ir::Graph graph = make_every_op_graph();
  const std::string path = dir.file("m.gramlite");
  ASSERT_TRUE(save_model(graph, path).ok());
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bytes = serialize_model(graph);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(on_disk, *bytes);
}

TEST(RoundTrip, WeightsAreZeroCopyViewsOfTheMappingAndAligned) {
  testing::TempDir dir;
  const std::string path = dir.file("m.gramlite");
  ASSERT_TRUE(save_model(make_every_op_graph(), path).ok());
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto summary = read_file_summary(path);
  ASSERT_TRUE(summary.ok());
  const uint8_t* lowest = nullptr;
  const uint8_t* highest_end = nullptr;
  int constants = 0;
  int compact = 0;
  for (const StoredTensor& stored : summary->stored_tensors) {
    const ir::Tensor& t = loaded->tensors[static_cast<size_t>(stored.tensor)];
    ASSERT_TRUE(t.is_constant()) << t.name;
    ++constants;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data.data()) % kWeightAlignment, 0u) << t.name;
    // Compactly stored tensors are decoded into buffers of their own (RoundTrip.Compact* below).
    if (stored.encoding != ir::SparsityEncoding::kDense) {
      ++compact;
      continue;
    }
    const uint8_t* end = t.data.data() + t.data.size();
    if (lowest == nullptr || t.data.data() < lowest) lowest = t.data.data();
    if (highest_end == nullptr || end > highest_end) highest_end = end;
  }
  ASSERT_GT(constants, 10);
  EXPECT_EQ(compact, 2);
  // The dense-stored weights (the first and the last among them) sit inside one span exactly as
  // long as the weights section: one mapping, no copies.
  EXPECT_EQ(static_cast<uint64_t>(highest_end - lowest), summary->weights_size);
  // The first weight sits right where the file puts it: the mapping's base is page aligned.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(lowest) % 4096, summary->weights_offset % 4096);
  // And the kernel agrees that those addresses are a mapping of this very file.
  std::ifstream maps("/proc/self/maps");
  if (!maps) GTEST_SKIP() << "no /proc/self/maps";
  bool found = false;
  for (std::string line; std::getline(maps, line);) {
    if (line.find(path) == std::string::npos) continue;
    uintptr_t start = 0;
    uintptr_t end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &start, &end) != 2) continue;
    const auto first = reinterpret_cast<uintptr_t>(lowest);
    const auto last = reinterpret_cast<uintptr_t>(highest_end);
    if (first >= start && last <= end) found = true;
  }
  EXPECT_TRUE(found) << "weights do not lie in a mapping of " << path;
}

TEST(RoundTrip, WeightsKeepTheMappingAliveAfterTheGraphIsGone) {
  testing::TempDir dir;
  const std::string path = dir.file("m.gramlite");
  const ir::Graph original = make_tiny_graph();
  ASSERT_TRUE(save_model(original, path).ok());
  Buffer weight;
  {
    auto loaded = load_model(path);
    ASSERT_TRUE(loaded.ok());
    weight = loaded->tensor(*loaded->find_tensor("w")).data;
  }
  std::filesystem::remove(path);  // the mapping stays valid after unlink
  const Buffer& expected = original.tensor(*original.find_tensor("w")).data;
  ASSERT_EQ(weight.size(), expected.size());
  EXPECT_EQ(0, std::memcmp(weight.data(), expected.data(), expected.size()));
}

TEST(RoundTrip, AlignedMemoryIsUsedInPlaceAndOwnerIsHeld) {
  auto bytes = serialize_model(make_tiny_graph());
  ASSERT_TRUE(bytes.ok());
  auto owner = std::make_shared<Buffer>(Buffer::copy_of(bytes->data(), bytes->size()));
  const uint8_t* base = owner->data();
  std::weak_ptr<Buffer> watch = owner;
  auto loaded = load_model_from_memory(owner, base, owner->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  owner.reset();
  EXPECT_FALSE(watch.expired()) << "weights must hold the owner";
  for (const ir::Tensor& t : loaded->tensors) {
    if (!t.is_constant()) continue;
    EXPECT_GE(t.data.data(), base);
    EXPECT_LE(t.data.data() + t.data.size(), base + bytes->size());
  }
  loaded = Status(StatusCode::kInternal, "drop the graph");
  EXPECT_TRUE(watch.expired());
}

TEST(RoundTrip, UnalignedMemoryIsCopiedOnceAndStillAligned) {
  auto bytes = serialize_model(make_every_op_graph());
  ASSERT_TRUE(bytes.ok());
  std::vector<uint8_t> shifted(bytes->size() + 3);
  std::memcpy(shifted.data() + 3, bytes->data(), bytes->size());
  const uint8_t* start = shifted.data() + 3;
  auto loaded = load_model_from_memory(nullptr, start, bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (const ir::Tensor& t : loaded->tensors) {
    if (!t.is_constant()) continue;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data.data()) % kWeightAlignment, 0u);
    EXPECT_TRUE(t.data.data() < start || t.data.data() >= start + bytes->size()) << "expected a copy";
  }
  expect_graphs_equal(make_every_op_graph(), *loaded);
}

TEST(RoundTrip, EmptyMetadataAndNoConstantsRoundTrip) {
  ir::Graph g;
  const ir::TensorId x = g.add_value("x", {-1, 4});
  g.inputs = {x};
  const ir::TensorId y = g.add_value("y", {-1, 4});
  ir::Node relu;
  relu.name = "relu";
  relu.kind = ir::OpKind::kRelu;
  relu.inputs = {x};
  relu.outputs = {y};
  g.add_node(relu);
  g.outputs = {y};
  g.metadata.preprocessing.mean.clear();
  g.metadata.preprocessing.std.clear();
  auto bytes = serialize_model(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto loaded = load_bytes(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  expect_graphs_equal(g, *loaded);
}

TEST(RoundTrip, FileSummaryDescribesTheLayout) {
  testing::TempDir dir;
  const std::string path = dir.file("m.gramlite");
  ASSERT_TRUE(save_model(make_every_op_graph(), path).ok());
  auto summary = read_file_summary(path);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->format_version, kFormatVersion);
  EXPECT_EQ(summary->file_size, std::filesystem::file_size(path));
  EXPECT_EQ(summary->header_size, 64u);
  EXPECT_EQ(summary->graph_offset, 64u);
  EXPECT_GT(summary->graph_size, 0u);
  EXPECT_EQ(summary->weights_offset % 64, 0u);
  EXPECT_GE(summary->weights_offset, summary->graph_offset + summary->graph_size);
  EXPECT_EQ(summary->weights_offset + summary->weights_size, summary->file_size);
  EXPECT_EQ(summary->stored_checksum, summary->computed_checksum);
  EXPECT_TRUE(summary->checksum_ok());
}

}  // namespace
}  // namespace gramlite::format
