// Bad files: every one gives an error that names the problem, and none crashes the loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../base/special_files.h"
#include "file_surgery.h"
#include "gramlite/format/model_file.h"
#include "temp_dir.h"
#include "test_models.h"

namespace gramlite::format {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using testing::rewrite_graph;

std::vector<uint8_t> serialized(const ir::Graph& graph) {
  auto bytes = serialize_model(graph);
  if (!bytes.ok()) ADD_FAILURE() << bytes.status().message();
  return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
}

const std::vector<uint8_t>& tiny_file() {
  static const std::vector<uint8_t> file = serialized(testing::make_tiny_graph());
  return file;
}

const std::vector<uint8_t>& every_op_file() {
  static const std::vector<uint8_t> file = serialized(testing::make_every_op_graph());
  return file;
}

Result<ir::Graph> load(const std::vector<uint8_t>& bytes, bool verify_checksum = true) {
  LoadOptions options;
  options.verify_checksum = verify_checksum;
  return load_model_from_memory(nullptr, bytes.data(), bytes.size(), options);
}

// The message of a load that must fail.
std::string load_error(const std::vector<uint8_t>& bytes, bool verify_checksum = true) {
  auto graph = load(bytes, verify_checksum);
  EXPECT_FALSE(graph.ok()) << "a corrupt file loaded";
  return graph.ok() ? std::string() : graph.status().message();
}

// A corrupt file without checksum verification must give an error or a graph that is valid
// enough to be written again; anything else (a crash, a sanitizer report) fails the test.
void expect_error_or_valid_graph(const std::vector<uint8_t>& bytes) {
  auto graph = load(bytes, /*verify_checksum=*/false);
  if (graph.ok()) {
    auto again = serialize_model(*graph);
    EXPECT_TRUE(again.ok()) << again.status().message();
  } else {
    EXPECT_FALSE(graph.status().message().empty());
  }
}

size_t tensor_index(const fb::ModelT& model, const std::string& name) {
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    if (model.tensors[i]->name == name) return i;
  }
  ADD_FAILURE() << "no tensor " << name;
  return 0;
}

size_t node_index(const fb::ModelT& model, const std::string& name) {
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    if (model.nodes[i]->name == name) return i;
  }
  ADD_FAILURE() << "no node " << name;
  return 0;
}

TEST(CorruptFile, EveryTruncationOfASmallModelIsRefused) {
  const std::vector<uint8_t>& file = tiny_file();
  ASSERT_LT(file.size(), 4096u);
  for (size_t size = 0; size < file.size(); ++size) {
    const std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(size));
    for (bool verify : {true, false}) {
      const std::string message = load_error(cut, verify);
      EXPECT_THAT(message, AnyOf(HasSubstr("truncated"), HasSubstr("empty"))) << size;
    }
  }
}

TEST(CorruptFile, TruncationsOfALargerModelAreRefused) {
  const std::vector<uint8_t>& file = every_op_file();
  for (size_t size = 0; size < file.size(); size += 13) {
    const std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_THAT(load_error(cut, false), AnyOf(HasSubstr("truncated"), HasSubstr("empty"))) << size;
  }
}

TEST(CorruptFile, EveryFlippedByteIsCaughtByTheChecksums) {
  const std::vector<uint8_t>& file = tiny_file();
  for (size_t at = 0; at < file.size(); ++at) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      std::vector<uint8_t> bad = file;
      bad[at] ^= mask;
      const std::string message = load_error(bad);
      EXPECT_THAT(message, AnyOf(HasSubstr("checksum mismatch"), HasSubstr("not a gramlite model file"),
                                 HasSubstr("format version")))
          << "byte " << at;
    }
  }
}

TEST(CorruptFile, FlippedBytesWithoutChecksumsNeverCrash) {
  for (const std::vector<uint8_t>* file : {&tiny_file(), &every_op_file()}) {
    const size_t step = file->size() < 4096 ? 1 : 3;
    for (size_t at = 0; at < file->size(); at += step) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x10}, uint8_t{0x80}, uint8_t{0xFF}}) {
        std::vector<uint8_t> bad = *file;
        bad[at] ^= mask;
        expect_error_or_valid_graph(bad);
      }
    }
  }
}

TEST(CorruptFile, RandomDamageWithoutChecksumsNeverCrashes) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::vector<uint8_t>& file = every_op_file();
  const uint64_t graph_end = testing::header_of(file).graph_offset + testing::header_of(file).graph_size;
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bad = file;
    const int edits = 1 + static_cast<int>(next() % 8);
    for (int e = 0; e < edits; ++e) {
      // Aim at the graph section, where damage reaches the parser rather than weight values.
      const size_t at = kHeaderSize + static_cast<size_t>(next() % (graph_end - kHeaderSize));
      bad[at] = static_cast<uint8_t>(next());
    }
    expect_error_or_valid_graph(bad);
  }
}

TEST(CorruptFile, WrongMagicNamesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.file("photo.jpg");
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xFF\xD8\xFF\xE0 this is a JPEG, not a model, but long enough to hold a whole header.....";
  }
  auto graph = load_model(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(graph.status().message(), HasSubstr(path));
  EXPECT_THAT(graph.status().message(), HasSubstr("not a gramlite model file"));
}

TEST(CorruptFile, MissingFileAndDirectoryAreClearErrors) {
  testing::TempDir dir;
  auto missing = load_model(dir.file("nope.gramlite"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.gramlite"));
  auto folder = load_model(dir.path().string());
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(folder.status().message(), HasSubstr("not a regular file"));
  const std::string empty = dir.file("empty.gramlite");
  std::ofstream{empty};
  auto nothing = load_model(empty);
  ASSERT_FALSE(nothing.ok());
  EXPECT_THAT(nothing.status().message(), HasSubstr("empty"));
  EXPECT_THAT(nothing.status().message(), HasSubstr(empty));
}

// A FIFO with no writer used to block open() forever; /dev/zero never ends. Both are refused
// with one line naming the path and what it is, as a directory is.
TEST(CorruptFile, FifoAndDevicesAreRefusedWithoutBlocking) {
  testing::TempDir dir;
  const std::string fifo = dir.file("model.gramlite");
  ASSERT_TRUE(gramlite::testing::make_fifo(fifo));
  Result<ir::Graph> graph = internal_error("not run");
  ASSERT_TRUE(gramlite::testing::returns_within(fifo, [&] { graph = load_model(fifo); }))
      << "load_model blocked on a FIFO";
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(graph.status().message(), HasSubstr(fifo));
  EXPECT_THAT(graph.status().message(), HasSubstr("not a regular file (a FIFO)"));

  Result<FileSummary> summary = internal_error("not run");
  ASSERT_TRUE(gramlite::testing::returns_within(fifo, [&] { summary = read_file_summary(fifo); }));
  EXPECT_THAT(summary.status().message(), HasSubstr("not a regular file (a FIFO)"));

  auto zero = load_model("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.status().message(), HasSubstr("'/dev/zero' is not a regular file (a character device)"));
  auto folder = load_model(dir.path().string());
  EXPECT_THAT(folder.status().message(), HasSubstr("not a regular file (a directory)"));
}

TEST(CorruptFile, FutureVersionSaysSo) {
  std::vector<uint8_t> file = tiny_file();
  testing::put_u32_le(file, 8, 7);
  testing::refresh_checksums(file);
  auto graph = load(file);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(graph.status().message(),
              HasSubstr("written by a newer gramlite: format version 7, this build reads up to 1"));
}

TEST(CorruptFile, ChecksumMismatchNamesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.file("m.gramlite");
  std::vector<uint8_t> file = every_op_file();
  file[file.size() - 5] ^= 0x04;  // a weight byte: only the checksum can notice
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  auto graph = load_model(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_THAT(graph.status().message(), HasSubstr("model file '" + path + "'"));
  EXPECT_THAT(graph.status().message(), HasSubstr("checksum mismatch"));
  LoadOptions no_checksum;
  no_checksum.verify_checksum = false;
  EXPECT_TRUE(load_model(path, no_checksum).ok());
  auto summary = read_file_summary(path);
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->checksum_ok());
  EXPECT_TRUE(summary->header_checksum_ok);
}

TEST(CorruptFile, GraphSectionThatFailsTheVerifier) {
  std::vector<uint8_t> file = tiny_file();
  const FileHeader h = testing::header_of(file);
  for (uint64_t i = 0; i < h.graph_size; ++i) file[kHeaderSize + i] = static_cast<uint8_t>(i * 7 + 3);
  testing::refresh_checksums(file);
  EXPECT_THAT(load_error(file), HasSubstr("FlatBuffers verification failed"));
  std::vector<uint8_t> zeros = tiny_file();
  std::fill(zeros.begin() + kHeaderSize, zeros.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + h.graph_size), 0);
  testing::refresh_checksums(zeros);
  EXPECT_THAT(load_error(zeros), HasSubstr("FlatBuffers verification failed"));
}

TEST(CorruptFile, TensorIndexOutOfRangeInANode) {
  const auto bad_input = rewrite_graph(every_op_file(), [](fb::ModelT& m) {
    m.nodes[node_index(m, "conv1")]->inputs[1] = 999;
  });
  const std::string message = load_error(bad_input);
  EXPECT_THAT(message, HasSubstr("node 1 'conv1' (Conv2d)"));
  EXPECT_THAT(message, HasSubstr("input 1"));
  EXPECT_THAT(message, HasSubstr("refers to tensor 999"));

  const auto bad_output = rewrite_graph(every_op_file(), [](fb::ModelT& m) { m.nodes[0]->outputs[0] = -1; });
  EXPECT_THAT(load_error(bad_output), HasSubstr("output 0: refers to tensor -1"));

  const auto negative = rewrite_graph(every_op_file(), [](fb::ModelT& m) { m.nodes[2]->inputs[0] = -7; });
  EXPECT_THAT(load_error(negative), HasSubstr("refers to tensor -7"));

  const auto graph_output = rewrite_graph(every_op_file(), [](fb::ModelT& m) { m.outputs[0] = 12345; });
  EXPECT_THAT(load_error(graph_output), HasSubstr("graph output 0: refers to tensor 12345"));

  const auto graph_input = rewrite_graph(every_op_file(), [](fb::ModelT& m) { m.inputs.push_back(-2); });
  EXPECT_THAT(load_error(graph_input), HasSubstr("graph input 1: refers to tensor -2"));
}

// Names come from the file: a node named with a newline must not split the error into lines.
TEST(CorruptFile, NamesFromTheFileCannotSplitTheErrorLine) {
  const auto renamed = rewrite_graph(every_op_file(), [](fb::ModelT& m) {
    const size_t conv = node_index(m, "conv1");
    m.nodes[conv]->name = "conv1\ngramlite: error: forged second line\r\t";
    m.nodes[conv]->inputs[1] = 999;
  });
  testing::TempDir dir;
  const std::string path = dir.file("renamed.gramlite");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(renamed.data()),
                                              static_cast<std::streamsize>(renamed.size()));
  for (const Status& status : {load(renamed, true).status(), load_model(path).status()}) {
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message().find_first_of("\n\r"), std::string::npos) << status.message();
    EXPECT_THAT(status.message(), HasSubstr("refers to tensor 999"));
  }
}

TEST(CorruptFile, BadDataReferences) {
  const std::vector<uint8_t>& file = every_op_file();
  const uint64_t weights_size = testing::header_of(file).weights_size;
  struct Case {
    uint64_t offset;
    uint64_t size;
    const char* message;
  };
  const Case cases[] = {
      {3, 4 * 8, "misaligned"},
      {64 * 1000000, 4 * 8, "out of range"},
      {(weights_size + 63) / 64 * 64, 4 * 8, "out of range"},
      {0, weights_size + 1, "out of range"},
      {~uint64_t{0} / 64 * 64, 4 * 8, "out of range"},  // offset + size would overflow
      {64, ~uint64_t{0}, "out of range"},
      {0, 4 * 7, "bytes of data, but shape [8] x fp32 needs 32"},
  };
  for (const Case& c : cases) {
    const auto bad = rewrite_graph(file, [&c](fb::ModelT& m) {
      m.tensors[tensor_index(m, "conv1.bias")]->data = std::make_unique<fb::DataRef>(c.offset, c.size);
    });
    const std::string message = load_error(bad);
    EXPECT_THAT(message, HasSubstr("'conv1.bias'")) << c.message;
    EXPECT_THAT(message, HasSubstr(c.message));
  }
}

TEST(CorruptFile, UnknownValuesAreNamedWithTheirNumber) {
  const std::vector<uint8_t>& file = every_op_file();
  struct Case {
    std::function<void(fb::ModelT&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {[](fb::ModelT& m) { m.nodes[node_index(m, "relu")]->op = 42; },
       "op id 42 is not known to this gramlite version"},
      {[](fb::ModelT& m) { m.nodes[0]->op = 65535; }, "op id 65535 is not known to this gramlite version"},
      {[](fb::ModelT& m) { m.tensors[3]->dtype = 9; }, "dtype 9 is not known to this gramlite version"},
      {[](fb::ModelT& m) { m.nodes[node_index(m, "conv1")]->fused_activation = 17; },
       "fused activation 17 is not known to this gramlite version"},
      {[](fb::ModelT& m) {
         m.tensors[tensor_index(m, "dw.weight")]->sparsity->encoding = 5;
       },
       "sparsity encoding 5 is not known to this gramlite version"},
      {[](fb::ModelT& m) { m.metadata->preprocessing->resize = 4; }, "resize mode 4 is not known"},
      {[](fb::ModelT& m) { m.metadata->output_kind = 3; }, "output kind 3 is not known"},
  };
  for (const Case& c : cases) {
    const std::string message = load_error(rewrite_graph(file, c.edit));
    EXPECT_THAT(message, HasSubstr(c.message));
    EXPECT_THAT(message, HasSubstr("model in memory"));
  }
  auto unknown_op = load(rewrite_graph(file, cases[0].edit));
  EXPECT_EQ(unknown_op.status().code(), StatusCode::kUnsupported);
}

TEST(CorruptFile, AttributesMustMatchTheOp) {
  const std::vector<uint8_t>& file = every_op_file();
  const auto wrong_kind = rewrite_graph(file, [](fb::ModelT& m) {
    auto& node = *m.nodes[node_index(m, "conv1")];
    node.attributes.Set(fb::Pool2dAttrsT{});
  });
  EXPECT_THAT(load_error(wrong_kind), HasSubstr("carries attributes of kind 3, but Conv2d takes kind 1"));

  const auto missing = rewrite_graph(file, [](fb::ModelT& m) { m.nodes[node_index(m, "conv1")]->attributes.Reset(); });
  EXPECT_THAT(load_error(missing), HasSubstr("carries attributes of kind 0, but Conv2d takes kind 1"));

  const auto extra = rewrite_graph(file, [](fb::ModelT& m) {
    m.nodes[node_index(m, "relu")]->attributes.Set(fb::SoftmaxAttrsT{});
  });
  EXPECT_THAT(load_error(extra), HasSubstr("but Relu takes kind 0"));

  const auto unknown = rewrite_graph(file, [](fb::ModelT& m) {
    // Reset first: the union's destructor frees its table by type, and knows no type 200 (the
    // Conv2dAttrsT would leak).
    auto& attributes = m.nodes[node_index(m, "conv1")]->attributes;
    attributes.Reset();
    attributes.type = static_cast<fb::Attributes>(200);
  });
  EXPECT_THAT(load_error(unknown), HasSubstr("attribute kind 200 is not known"));
}

TEST(CorruptFile, ShapesThatCannotBeRight) {
  const std::vector<uint8_t>& file = every_op_file();
  const auto negative = rewrite_graph(file, [](fb::ModelT& m) { m.tensors[tensor_index(m, "relu")]->shape[1] = -7; });
  EXPECT_THAT(load_error(negative), HasSubstr("negative dim -7"));

  const auto huge = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "relu")]->shape = {-1, int64_t{1} << 40, int64_t{1} << 40};
  });
  EXPECT_THAT(load_error(huge), HasSubstr("more than 2^48 elements"));

  const auto overflow = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "relu")]->shape = {INT64_MAX, INT64_MAX, 3};
  });
  EXPECT_THAT(load_error(overflow), HasSubstr("more than 2^48 elements"));

  const auto dynamic_constant = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "conv1.bias")]->shape = {-1};
  });
  EXPECT_THAT(load_error(dynamic_constant), HasSubstr("constant with a dynamic shape"));
}

TEST(CorruptFile, QuantizationAndSparsityMustBeConsistent) {
  const std::vector<uint8_t>& file = every_op_file();
  const auto zero_points = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "int8.weight")]->quant->zero_points.push_back(1);
  });
  EXPECT_THAT(load_error(zero_points), HasSubstr("4 quantization scales but 5 zero points"));
  const auto axis = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "int8.weight")]->quant->axis = 9;
  });
  EXPECT_THAT(load_error(axis), HasSubstr("per channel along axis 9"));
  const auto block = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "dw.weight")]->sparsity->block_shape = {0, 4};
  });
  EXPECT_THAT(load_error(block), HasSubstr("sparsity block dim of 0"));
  const auto target = rewrite_graph(file, [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "dw.weight")]->sparsity->target_sparsity = 1.5f;
  });
  EXPECT_THAT(load_error(target), HasSubstr("target sparsity 1.5"));
}

TEST(CorruptFile, DuplicateMetadataKey) {
  const auto bad = rewrite_graph(every_op_file(), [](fb::ModelT& m) {
    auto kv = std::make_unique<fb::KeyValueT>();
    kv->key = "seed";
    kv->value = "8";
    m.metadata->extra.push_back(std::move(kv));
  });
  EXPECT_THAT(load_error(bad), HasSubstr("the key 'seed' appears twice"));
}

TEST(CorruptFile, StructurallySoundButInvalidGraphFailsValidation) {
  // A stored shape that shape inference disagrees with: only ir::validate can tell.
  const auto bad = rewrite_graph(every_op_file(), [](fb::ModelT& m) {
    m.tensors[tensor_index(m, "relu6")]->shape = {-1, 8, 5, 6};
  });
  auto graph = load(bad);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(graph.status().message(), HasSubstr("model in memory: invalid graph"));
  EXPECT_THAT(graph.status().message(), HasSubstr("relu6"));
}

TEST(CorruptFile, SharedDataCannotAmplifyMemory) {
  // 2000 tensors all pointing at one 2000-element shape vector: 32 MB to decode from a ~50 KB
  // section. The writer never shares data, so the decoder refuses before allocating it.
  flatbuffers::FlatBufferBuilder fbb;
  const auto shape = fbb.CreateVector(std::vector<int64_t>(2000, 1));
  const auto name = fbb.CreateString("t");
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (int i = 0; i < 2000; ++i) tensors.push_back(fb::CreateTensor(fbb, name, shape));
  fb::FinishModelBuffer(fbb, fb::CreateModel(fbb, fbb.CreateVector(tensors)));
  const auto file = testing::assemble_file(fbb.GetBufferPointer(), fbb.GetSize(), {});
  EXPECT_THAT(load_error(file), HasSubstr("refers to the same data over and over"));
}

TEST(CorruptFile, CommittedFuzzInputsLoadWithoutCrashing) {
  // Seeds must load; regressions (inputs that once crashed the fuzzer) must not crash.
  namespace fs = std::filesystem;
  const fs::path fuzz = fs::path(GRAMLITE_SOURCE_DIR) / "tests" / "fuzz";
  int seeds = 0;
  for (const auto& entry : fs::directory_iterator(fuzz / "corpus")) {
    auto graph = load_model(entry.path().string());
    EXPECT_TRUE(graph.ok()) << graph.status().message();
    ++seeds;
  }
  EXPECT_GE(seeds, 1);
  if (!fs::exists(fuzz / "regressions")) return;
  for (const auto& entry : fs::directory_iterator(fuzz / "regressions")) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    expect_error_or_valid_graph(bytes);
  }
}

}  // namespace
}  // namespace gramlite::format
