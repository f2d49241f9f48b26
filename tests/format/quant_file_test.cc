// Quantized model files: int8, dynamic and fp16 files round-trip byte for byte, and a file whose
// quantization parameters are corrupt is refused at load (kCorruptData: exit 4 from the CLI) with
// a message naming the tensor, whether the graph section was rewritten or its bytes patched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "file_surgery.h"
#include "gramlite/format/model_file.h"
#include "graph_equality.h"
#include "quant_test_models.h"
#include "temp_dir.h"

namespace gramlite::format {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::rewrite_graph;

std::vector<uint8_t> serialized(const ir::Graph& graph) {
  auto bytes = serialize_model(graph);
  if (!bytes.ok()) ADD_FAILURE() << bytes.status().message();
  return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
}

const std::vector<uint8_t>& int8_file() {
  static const std::vector<uint8_t> file = serialized(testing::make_int8_graph());
  return file;
}

Result<ir::Graph> load(const std::vector<uint8_t>& bytes, bool verify_checksum = true) {
  LoadOptions options;
  options.verify_checksum = verify_checksum;
  return load_model_from_memory(nullptr, bytes.data(), bytes.size(), options);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fb::QuantParamsT& quant_of(fb::ModelT& model, const std::string& name) {
  for (auto& t : model.tensors) {
    if (t->name != name) continue;
    if (!t->quant) t->quant = std::make_unique<fb::QuantParamsT>();
    return *t->quant;
  }
  ADD_FAILURE() << "no tensor " << name;
  static fb::QuantParamsT nothing;
  return nothing;
}

// A corrupt file must be refused as corrupt data naming `tensor`, with or without checksums.
void expect_refused(const std::vector<uint8_t>& file, const std::string& tensor, const std::string& why) {
  for (bool verify : {true, false}) {
    auto graph = load(file, verify);
    ASSERT_FALSE(graph.ok()) << "a corrupt file loaded (" << why << ")";
    EXPECT_EQ(graph.status().code(), StatusCode::kCorruptData) << graph.status().message();
    EXPECT_THAT(graph.status().message(), AllOf(HasSubstr("tensor "), HasSubstr("'" + tensor + "'"), HasSubstr(why)));
    EXPECT_EQ(graph.status().message().find('\n'), std::string::npos);
  }
}

TEST(QuantFile, SpecGraphsAreValidFiles) {
  for (const ir::Graph& graph : {testing::make_int8_graph(), testing::make_dynamic_graph(),
                                 testing::make_fp16_graph(), testing::make_float_graph()}) {
    auto loaded = load(serialized(graph));
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  }
}

TEST(QuantFile, SaveLoadSaveIsByteExact) {
  testing::TempDir dir;
  const struct {
    const char* name;
    ir::Graph graph;
  } models[] = {{"int8", testing::make_int8_graph()},
                {"dynamic", testing::make_dynamic_graph()},
                {"fp16", testing::make_fp16_graph()}};
  for (const auto& model : models) {
    SCOPED_TRACE(model.name);
    const std::string first = dir.file(std::string(model.name) + ".gramlite");
    const std::string second = dir.file(std::string(model.name) + ".again.gramlite");
    const Status saved = save_model(model.graph, first);
    ASSERT_TRUE(saved.ok()) << saved.message();
    auto loaded = load_model(first);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    // Data, dtypes, shapes and QuantParams (scales bit for bit), field by field.
    testing::expect_graphs_equal(model.graph, *loaded);
    const Status again = save_model(*loaded, second);
    ASSERT_TRUE(again.ok()) << again.message();
    const std::vector<uint8_t> a = read_bytes(first);
    const std::vector<uint8_t> b = read_bytes(second);
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(a == b) << "the second save differs from the first";
    EXPECT_TRUE(a == serialized(model.graph)) << "save_model and serialize_model differ";
  }
}

TEST(QuantFile, QuantizedFilesAreSmaller) {
  // Not the 3.9x goal (this graph is tiny, overhead dominates): only that the weights shrank.
  const size_t float_size = serialized(testing::make_float_graph()).size();
  EXPECT_LT(serialized(testing::make_fp16_graph()).size(), float_size);
  EXPECT_LT(serialized(testing::make_dynamic_graph()).size(), float_size);
}

TEST(QuantFile, RefusesZeroNegativeAndNonFiniteScales) {
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "conv_out").scales[0] = 0.0f; }),
                 "conv_out", "scale #0 is 0");
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "conv.weight").scales[2] = -0.5f; }),
                 "conv.weight", "scale #2 is -0.5");
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 quant_of(m, "image.q").scales[0] = std::numeric_limits<float>::quiet_NaN();
                               }),
                 "image.q", "must be positive and finite");
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 quant_of(m, "fc.bias").scales[1] = std::numeric_limits<float>::infinity();
                               }),
                 "fc.bias", "must be positive and finite");
}

TEST(QuantFile, RefusesZeroPointsOutOfRange) {
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "image.q").zero_points[0] = 200; }),
                 "image.q", "outside [-128, 127]");
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "fc_out").zero_points[0] = -129; }),
                 "fc_out", "outside [-128, 127]");
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "fc.weight").zero_points[1] = 3; }),
                 "fc.weight", "zero point #1 is 3, not 0");
}

TEST(QuantFile, RefusesAMissingBiasScale) {
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) {
                   for (auto& t : m.tensors) {
                     if (t->name == "conv.bias") t->quant.reset();
                   }
                 }),
                 "conv.bias", "an int32 bias needs scales");
  expect_refused(rewrite_graph(int8_file(), [](fb::ModelT& m) { quant_of(m, "fc.bias").scales[2] *= 1.01f; }),
                 "fc.bias", "is not input scale x weight scale");
}

TEST(QuantFile, RefusesPerChannelCountMismatches) {
  // Fewer scales than output channels (the loader's structural check)...
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 fb::QuantParamsT& q = quant_of(m, "fc.weight");
                                 q.scales.pop_back();
                                 q.zero_points.pop_back();
                               }),
                 "fc.weight", "2 per-channel scales, but dim 0 is 3");
  // ...and scales along the wrong axis, which matches a dimension but not the output channels.
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 fb::QuantParamsT& q = quant_of(m, "conv.weight");
                                 q.scales.pop_back();
                                 q.zero_points.pop_back();
                                 q.axis = 1;
                               }),
                 "conv.weight", "one per output channel (4)");
  // An activation quantized per channel.
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 fb::QuantParamsT& q = quant_of(m, "gap_out");
                                 q.scales = {0.1f, 0.1f, 0.1f, 0.1f};
                                 q.zero_points = {0, 0, 0, 0};
                                 q.axis = 1;
                               }),
                 "gap_out", "activations are quantized per tensor");
  // An int8 activation with no parameters at all.
  expect_refused(rewrite_graph(int8_file(),
                               [](fb::ModelT& m) {
                                 for (auto& t : m.tensors) {
                                   if (t->name == "flat") t->quant.reset();
                                 }
                               }),
                 "flat", "int8 activation without quantization parameters");
}

// The bytes of `value` must occur exactly once in `file` after `from`: then patching them is
// patching that field and nothing else.
size_t unique_offset(const std::vector<uint8_t>& file, const void* value, size_t size, size_t from) {
  const auto* v = static_cast<const uint8_t*>(value);
  const auto first = std::search(file.begin() + static_cast<std::ptrdiff_t>(from), file.end(), v, v + size);
  EXPECT_NE(first, file.end());
  if (first == file.end()) return 0;
  EXPECT_EQ(std::search(first + 1, file.end(), v, v + size), file.end()) << "the bytes are not unique";
  return static_cast<size_t>(first - file.begin());
}

TEST(QuantFile, RefusesPatchedBytes) {
  const ir::Graph graph = testing::make_int8_graph();
  const FileHeader header = testing::header_of(int8_file());

  // conv_out's scale, found by value in the graph section, overwritten with 0 and with -scale.
  const float scale = graph.tensor(*graph.find_tensor("conv_out")).quant.scales[0];
  const size_t at = unique_offset(int8_file(), &scale, sizeof(scale), static_cast<size_t>(header.graph_offset));
  ASSERT_LT(at, header.graph_offset + header.graph_size);
  for (float patched : {0.0f, -scale}) {
    std::vector<uint8_t> file = int8_file();
    std::memcpy(file.data() + at, &patched, sizeof(patched));
    testing::refresh_checksums(file);
    expect_refused(file, "conv_out", "a scale must be positive and finite");
  }

  // A weight byte set to -128, in the weights section.
  const ir::Tensor& w = graph.tensor(*graph.find_tensor("conv.weight"));
  const size_t data_at = unique_offset(int8_file(), w.data.data(), w.data.size(), static_cast<size_t>(header.weights_offset));
  std::vector<uint8_t> file = int8_file();
  file[data_at + 40] = 0x80;
  testing::refresh_checksums(file);
  expect_refused(file, "conv.weight", "element 40 is -128");
}

}  // namespace
}  // namespace gramlite::format
