// ONNX import without Python: small models built in C++ with libonnx's protobuf classes check the
// op mappings the parity cases do not reach (compositions, attribute variants) against values
// computed here, and the failure paths: truncated files, random bytes, unsupported ops, missing
// initializers, wrong shapes, flipped bytes. Every failure must be one clear error, never a crash.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>

#include "../base/special_files.h"
#include "gramlite/interop/onnx_import.h"
#include "gramlite/ir/validate.h"
#include "gramlite/runtime/session.h"
#include "test_support.h"

namespace gramlite::interop {
namespace {

// A model under construction: graph input "x" of `shape` ("N" symbolic batch when batch < 0).
class ModelBuilder {
 public:
  explicit ModelBuilder(std::vector<int64_t> shape, int opset = 13) {
    model_.set_ir_version(7);
    model_.set_producer_name("gramlite-test");
    auto* set = model_.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    graph()->set_name("test_graph");
    add_value_info(graph()->add_input(), "x", shape);
  }

  onnx::GraphProto* graph() { return model_.mutable_graph(); }

  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                        const std::string& name = "") {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? output + "_node" : name);
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  static void integer(onnx::NodeProto* n, const std::string& name, int64_t value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void real(onnx::NodeProto* n, const std::string& name, float value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
  }
  static void text(onnx::NodeProto* n, const std::string& name, const std::string& value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
  }

  void floats(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  }
  void int64s(const std::string& name, std::vector<int64_t> values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
  }
  void output(const std::string& name) { add_value_info(graph()->add_output(), name, {}); }

  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void add_value_info(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& shape) {
    info->set_name(name);
    auto* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = type->mutable_shape();  // the checker wants the field, even when no dims are known
    for (int64_t d : shape) {
      auto* dim = s->add_dim();
      if (d < 0) {
        dim->set_dim_param(d == -1 ? "N" : "H");
      } else {
        dim->set_dim_value(d);
      }
    }
  }
  onnx::ModelProto model_;
};

Result<ir::Graph> import(const std::string& bytes, const OnnxImportOptions& options = {}, OnnxImportReport* report = nullptr) {
  return import_onnx_from_memory(bytes.data(), bytes.size(), options, report);
}

// Runs a one-input graph on `input` (batch 1).
std::vector<float> run(const ir::Graph& graph, const std::vector<float>& input) {
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(graph));
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  EXPECT_TRUE(session.value()->prepare(1).ok());
  auto out = session.value()->run(std::vector<std::vector<float>>{input});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? out->front() : std::vector<float>{};
}

// x [N, 2, 4, 4] -> Conv 3x3 (pads 1, bias) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> y.
ModelBuilder small_classifier() {
  ModelBuilder b({-1, 2, 4, 4});
  std::vector<float> w(3 * 2 * 9);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
  b.floats("conv.weight", {3, 2, 3, 3}, w);
  b.floats("conv.bias", {3}, {0.1f, -0.2f, 0.3f});
  b.floats("fc.weight", {2, 3}, {1, 2, 3, -1, 0.5f, 0});
  b.floats("fc.bias", {2}, {0.25f, -0.25f});
  auto* conv = b.node("Conv", {"x", "conv.weight", "conv.bias"}, "c", "conv");
  ModelBuilder::ints(conv, "pads", {1, 1, 1, 1});
  ModelBuilder::ints(conv, "kernel_shape", {3, 3});
  b.node("Relu", {"c"}, "r", "relu");
  b.node("GlobalAveragePool", {"r"}, "p", "pool");
  b.node("Flatten", {"p"}, "f", "flatten");
  auto* gemm = b.node("Gemm", {"f", "fc.weight", "fc.bias"}, "y", "fc");
  ModelBuilder::integer(gemm, "transB", 1);
  b.output("y");
  return b;
}

TEST(OnnxImport, SmallClassifierImportsWithMetadata) {
  OnnxImportReport report;
  auto graph = import(small_classifier().bytes(), {}, &report);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_TRUE(ir::validate(*graph).ok());
  ASSERT_EQ(graph->nodes.size(), 5u);
  EXPECT_EQ(graph->nodes[0].kind, ir::OpKind::kConv2d);
  EXPECT_EQ(graph->nodes[0].name, "conv");
  EXPECT_EQ(graph->nodes[4].kind, ir::OpKind::kLinear);
  EXPECT_EQ(graph->tensor(graph->inputs[0]).shape, (ir::Shape{ir::kDynamicDim, 2, 4, 4}));
  EXPECT_EQ(graph->metadata.class_names, (std::vector<std::string>{"class_0", "class_1"}));
  EXPECT_EQ(graph->metadata.output_kind, ir::OutputKind::kLogits);
  EXPECT_EQ(graph->metadata.extra.at("source_opset"), "13");
  EXPECT_EQ(graph->metadata.extra.at("source_file"), "<memory>");
  EXPECT_EQ(report.opset, 13);
  EXPECT_EQ(report.initializers, 4u);
  EXPECT_NE(report.producer.find("gramlite-test"), std::string::npos);
  EXPECT_TRUE(graph->find_tensor("fc.weight").has_value());  // weights keep their names

  OnnxImportOptions options;
  options.class_names = {"pos", "neg"};
  auto named = import(small_classifier().bytes(), options);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->metadata.class_names, options.class_names);
  options.class_names = {"one"};
  auto wrong = import(small_classifier().bytes(), options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("1 class names given for a model with 2 outputs"), std::string::npos)
      << wrong.status().message();
}

TEST(OnnxImport, ElementwiseCompositionsComputeTheOnnxFunction) {
  // x [1, 1, 1, 6] -> Clip(-1, 1) -> HardSigmoid(0.2, 0.5) ... each branch to its own output.
  ModelBuilder b({1, 1, 1, 6});
  b.floats("lo", {}, {-1.0f});
  b.floats("hi", {}, {1.0f});
  b.floats("two", {1}, {2.0f});
  b.floats("three", {1}, {3.0f});
  b.node("Clip", {"x", "lo", "hi"}, "clip");
  b.node("HardSigmoid", {"x"}, "hsig");
  auto* lower_only = b.node("Clip", {"x", "lo"}, "clip_lo");
  (void)lower_only;
  b.node("Sub", {"x", "two"}, "sub");
  b.node("Div", {"x", "two"}, "div");
  b.node("Sub", {"three", "x"}, "rsub");
  for (const char* out : {"clip", "hsig", "clip_lo", "sub", "div", "rsub"}) b.output(out);
  auto graph = import(b.bytes());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const std::vector<float> x = {-3.0f, -1.5f, -0.25f, 0.0f, 0.75f, 4.0f};
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(std::move(graph).value()));
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE(session.value()->prepare(1).ok());
  auto out = session.value()->run(std::vector<std::vector<float>>{x});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 6u);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR((*out)[0][i], std::min(1.0f, std::max(-1.0f, x[i])), 1e-6) << i;
    EXPECT_NEAR((*out)[1][i], std::min(1.0f, std::max(0.0f, 0.2f * x[i] + 0.5f)), 1e-6) << i;
    EXPECT_NEAR((*out)[2][i], std::max(-1.0f, x[i]), 1e-6) << i;
    EXPECT_NEAR((*out)[3][i], x[i] - 2.0f, 1e-6) << i;
    EXPECT_NEAR((*out)[4][i], x[i] / 2.0f, 1e-6) << i;
    EXPECT_NEAR((*out)[5][i], 3.0f - x[i], 1e-6) << i;
  }
}

TEST(OnnxImport, GemmWithoutTransposeAndScales) {
  // y = 2 * x @ B + 0.5 * C with B [3, 2] (transB = 0).
  ModelBuilder b({1, 3});
  b.floats("B", {3, 2}, {1, 2, 3, 4, 5, 6});
  b.floats("C", {1, 2}, {10, 20});
  auto* gemm = b.node("Gemm", {"x", "B", "C"}, "y", "gemm");
  ModelBuilder::real(gemm, "alpha", 2.0f);
  ModelBuilder::real(gemm, "beta", 0.5f);
  b.output("y");
  auto graph = import(b.bytes());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const auto y = run(*graph, {1, -1, 2});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_FLOAT_EQ(y[0], 2 * (1 - 3 + 10) + 5);
  EXPECT_FLOAT_EQ(y[1], 2 * (2 - 4 + 12) + 10);
}

TEST(OnnxImport, PoolingPaddingVariants) {
  // x [1, 1, 4, 4] = 1..16: AveragePool 3x3 SAME_LOWER without / with counting the pad, MaxPool 2x2.
  ModelBuilder b({1, 1, 4, 4});
  auto* avg = b.node("AveragePool", {"x"}, "avg");
  ModelBuilder::ints(avg, "kernel_shape", {3, 3});
  ModelBuilder::ints(avg, "pads", {1, 1, 1, 1});
  auto* avg_in = b.node("AveragePool", {"x"}, "avg_in");
  ModelBuilder::ints(avg_in, "kernel_shape", {3, 3});
  ModelBuilder::text(avg_in, "auto_pad", "SAME_LOWER");
  ModelBuilder::integer(avg_in, "count_include_pad", 1);
  auto* max = b.node("MaxPool", {"x"}, "max");
  ModelBuilder::ints(max, "kernel_shape", {2, 2});
  ModelBuilder::ints(max, "strides", {2, 2});
  for (const char* out : {"avg", "avg_in", "max"}) b.output(out);
  auto graph = import(b.bytes());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  std::vector<float> x(16);
  for (size_t i = 0; i < 16; ++i) x[i] = static_cast<float>(i + 1);
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(std::move(graph).value()));
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session.value()->prepare(1).ok());
  auto out = session.value()->run(std::vector<std::vector<float>>{x});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FLOAT_EQ((*out)[0][0], (1 + 2 + 5 + 6) / 4.0f);  // corner: 4 real pixels
  EXPECT_FLOAT_EQ((*out)[1][0], (1 + 2 + 5 + 6) / 9.0f);  // the pad counts
  EXPECT_EQ((*out)[2], (std::vector<float>{6, 8, 14, 16}));
}

TEST(OnnxImport, SymbolicSpatialDimsNeedAnInputSize) {
  ModelBuilder b({-1, 1, -2, -2});
  b.node("Relu", {"x"}, "y");
  b.output("y");
  auto missing = import(b.bytes());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("set the input size"), std::string::npos) << missing.status().message();
  OnnxImportOptions options;
  options.input_size = 32;
  auto graph = import(b.bytes(), options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->tensor(graph->inputs[0]).shape, (ir::Shape{ir::kDynamicDim, 1, 32, 32}));
  options.input_size = 16;  // a fixed size that differs is refused
  auto fixed = import(small_classifier().bytes(), options);
  ASSERT_FALSE(fixed.ok());
  EXPECT_NE(fixed.status().message().find("fixed size 4"), std::string::npos) << fixed.status().message();
}

TEST(OnnxImport, UnsupportedOpIsOneErrorNamingOpNodeAndOpset) {
  ModelBuilder b({1, 2, 4, 4});
  b.node("Relu", {"x"}, "r", "first");
  b.node("LeakyRelu", {"r"}, "l", "leaky_1");
  b.node("Erf", {"l"}, "y", "erf_2");
  b.output("y");
  auto graph = import(b.bytes());
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kUnsupported);
  const std::string& m = graph.status().message();
  EXPECT_NE(m.find("node 'leaky_1' (LeakyRelu, opset 13)"), std::string::npos) << m;
  EXPECT_NE(m.find("op type 'LeakyRelu' is not supported"), std::string::npos) << m;
  EXPECT_EQ(m.find("Erf"), std::string::npos) << m;  // the first problem only

  ModelBuilder clip({1, 2, 4, 4});  // Clip with a computed bound
  clip.node("Relu", {"x"}, "r");
  clip.node("Clip", {"x", "r"}, "y", "clip_computed");
  clip.output("y");
  auto computed = import(clip.bytes());
  ASSERT_FALSE(computed.ok());
  EXPECT_NE(computed.status().message().find("clip_computed"), std::string::npos) << computed.status().message();
}

TEST(OnnxImport, MissingInitializerAndWrongShapesNameTheNode) {
  ModelBuilder missing({1, 2, 4, 4});
  missing.node("Conv", {"x", "absent.weight"}, "y", "conv_no_weight");
  missing.output("y");
  OnnxImportOptions no_checker;
  no_checker.run_checker = false;  // the importer's own error, not the checker's
  auto a = import(missing.bytes(), no_checker);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("conv_no_weight"), std::string::npos) << a.status().message();
  EXPECT_NE(a.status().message().find("absent.weight"), std::string::npos) << a.status().message();
  auto checked = import(missing.bytes());  // the checker catches it too, in its own words
  ASSERT_FALSE(checked.ok());

  ModelBuilder shapes({1, 2, 4, 4});
  shapes.floats("w", {3, 5, 1, 1}, std::vector<float>(15, 0.5f));  // expects 5 input channels
  shapes.node("Conv", {"x", "w"}, "y", "conv_bad_channels");
  shapes.output("y");
  auto b = import(shapes.bytes());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("conv_bad_channels"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("channels"), std::string::npos) << b.status().message();

  ModelBuilder data({1, 2, 4, 4});
  data.floats("w", {3, 2, 1, 1}, std::vector<float>(5, 0.5f));  // 5 values for 6 elements
  data.node("Conv", {"x", "w"}, "y");
  data.output("y");
  auto c = import(data.bytes(), no_checker);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tensor 'w' holds 5 values"), std::string::npos) << c.status().message();
}

TEST(OnnxImport, MissingFileTruncatedAndRandomBytesGiveOneError) {
  auto missing = import_onnx("/nonexistent/model.onnx");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.onnx"), std::string::npos);
  EXPECT_FALSE(import("").ok());

  const std::string valid = small_classifier().bytes();
  ASSERT_TRUE(import(valid).ok());
  for (size_t length = 0; length < valid.size(); length += 7) {
    auto graph = import(valid.substr(0, length));
    if (graph.ok()) continue;  // a prefix can be a smaller valid protobuf; then the graph was complete
    EXPECT_FALSE(graph.status().message().empty());
  }
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::string noise(static_cast<size_t>(rng() % 512), '\0');
    for (char& ch : noise) ch = static_cast<char>(rng());
    auto graph = import(noise);
    EXPECT_FALSE(graph.ok());
    EXPECT_FALSE(graph.status().message().empty());
  }
}

TEST(OnnxImport, FlippedBytesNeverCrash) {
  const std::string valid = small_classifier().bytes();
  std::mt19937 rng(1234);
  int imported = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = valid;
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
      bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    for (bool checker : {true, false}) {
      OnnxImportOptions options;
      options.run_checker = checker;
      auto graph = import(bytes, options);
      if (graph.ok()) {
        ++imported;
        EXPECT_TRUE(ir::validate(*graph).ok());
      } else {
        EXPECT_FALSE(graph.status().message().empty());
      }
    }
  }
  std::cout << "[fuzz] " << imported << " of 800 mutated imports still gave a valid graph\n";
}

TEST(OnnxImport, ReshapeOfAFixedBatchFollowsTheDynamicBatch) {
  // torch.onnx.export without dynamic_axes: batch 1 fixed, Reshape to [1, -1].
  ModelBuilder b({1, 2, 2, 2});
  b.int64s("shape", {1, -1});
  b.node("Reshape", {"x", "shape"}, "y", "reshape");
  b.output("y");
  auto graph = import(b.bytes());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->tensor(graph->outputs[0]).shape, (ir::Shape{ir::kDynamicDim, 8}));
  OnnxImportOptions fixed;
  fixed.dynamic_batch = false;
  auto kept = import(b.bytes(), fixed);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->tensor(kept->outputs[0]).shape, (ir::Shape{1, 8}));
}

// A FIFO used to block the import forever; a directory and /dev/zero get the same one line.
TEST(OnnxImport, FifoDirectoryAndDevicesAreRefusedWithoutBlocking) {
  testing::TempDir dir;
  const std::string fifo = dir.file("model.onnx");
  ASSERT_TRUE(gramlite::testing::make_fifo(fifo));
  Result<ir::Graph> graph = internal_error("not run");
  ASSERT_TRUE(gramlite::testing::returns_within(fifo, [&] { graph = import_onnx(fifo); }))
      << "import_onnx blocked on a FIFO";
  EXPECT_EQ(graph.status().code(), StatusCode::kNotFound);
  EXPECT_NE(graph.status().message().find("'" + fifo + "' is not a regular file (a FIFO)"), std::string::npos)
      << graph.status().message();
  EXPECT_NE(import_onnx(dir.path()).status().message().find("(a directory)"), std::string::npos);
  EXPECT_NE(import_onnx("/dev/zero").status().message().find("(a character device)"), std::string::npos);
}

// What is wrong with the file's contents is corrupt input (exit 4), in one line: the checker's
// multi-line text included; what the caller asked for (input size, class names) stays kInvalidArgument.
TEST(OnnxImport, BrokenGraphsAreCorruptDataInOneLine) {
  ModelBuilder missing({1, 2, 4, 4});
  missing.node("Conv", {"x", "absent.weight"}, "y", "conv_no_weight");
  missing.output("y");
  OnnxImportOptions no_checker;
  no_checker.run_checker = false;
  for (const OnnxImportOptions& options : {OnnxImportOptions{}, no_checker}) {
    auto graph = import(missing.bytes(), options);
    ASSERT_FALSE(graph.ok());
    EXPECT_EQ(graph.status().code(), StatusCode::kCorruptData) << graph.status().message();
    EXPECT_EQ(graph.status().message().find('\n'), std::string::npos) << graph.status().message();
  }

  ModelBuilder shapes({1, 2, 4, 4});
  shapes.floats("w", {3, 5, 1, 1}, std::vector<float>(15, 0.5f));
  shapes.node("Conv", {"x", "w"}, "y", "conv_bad_channels");
  shapes.output("y");
  auto bad_shapes = import(shapes.bytes());
  EXPECT_EQ(bad_shapes.status().code(), StatusCode::kCorruptData) << bad_shapes.status().message();

  ModelBuilder twice({1, 2, 4, 4});
  twice.node("Relu", {"x"}, "y", "first");
  twice.node("Relu", {"x"}, "y", "second");
  twice.output("y");
  auto redefined = import(twice.bytes(), no_checker);
  EXPECT_EQ(redefined.status().code(), StatusCode::kCorruptData) << redefined.status().message();

  // Every mutated file that fails does so in one line.
  const std::string valid = small_classifier().bytes();
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = valid;
    bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    auto graph = import(bytes);
    if (!graph.ok()) {
      EXPECT_EQ(graph.status().message().find('\n'), std::string::npos) << graph.status().message();
      // A flip can turn a fixed dim symbolic: then the caller must give a size, an argument.
      if (graph.status().message().find("set the input size") == std::string::npos) {
        EXPECT_NE(graph.status().code(), StatusCode::kInvalidArgument) << graph.status().message();
      }
    }
  }

  OnnxImportOptions three_names;
  three_names.class_names = {"a", "b", "c"};
  EXPECT_EQ(import(small_classifier().bytes(), three_names).status().code(), StatusCode::kInvalidArgument);
}

// An opset newer than the importer knows may change what an op means: refused, naming both.
TEST(OnnxImport, OpsetNewerThanKnownIsRefused) {
  ModelBuilder b({1, 2, 4, 4}, 999);
  b.node("Relu", {"x"}, "y");
  b.output("y");
  auto graph = import(b.bytes());
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kUnsupported) << graph.status().message();
  EXPECT_NE(graph.status().message().find("opset 999"), std::string::npos) << graph.status().message();
  EXPECT_NE(graph.status().message().find(std::to_string(kNewestSupportedOnnxOpset)), std::string::npos)
      << graph.status().message();
}

// A second graph input that no node uses would make `run` refuse the model: it is dropped, with a note.
TEST(OnnxImport, UnusedGraphInputsAreDroppedWithANote) {
  ModelBuilder b = small_classifier();
  auto* extra = b.graph()->add_input();
  *extra = b.graph()->input(0);
  extra->set_name("unused_mask");
  OnnxImportReport report;
  auto graph = import(b.bytes(), {}, &report);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  ASSERT_EQ(graph->inputs.size(), 1u);
  EXPECT_EQ(graph->tensor(graph->inputs[0]).name, "x");
  EXPECT_TRUE(ir::validate(*graph).ok());
  bool noted = false;
  for (const std::string& note : report.notes) noted = noted || note.find("'unused_mask'") != std::string::npos;
  EXPECT_TRUE(noted) << "no note names the dropped input";
  EXPECT_EQ(run(*graph, std::vector<float>(32, 0.5f)).size(), 2u);

  ModelBuilder only_unused({1, 2, 4, 4});  // the only input unused: nothing to run
  only_unused.floats("c", {1, 2}, {1, 2});
  only_unused.node("Relu", {"c"}, "y");
  only_unused.output("y");
  EXPECT_FALSE(import(only_unused.bytes()).ok());
}

}  // namespace
}  // namespace gramlite::interop
