// ONNX export: the exported file runs in ONNX Runtime to the outputs gramlite computes, passes the
// ONNX checker, and re-imports to the same outputs.
//
// Oracles, each optional (the test skips with the reason when one is missing):
//  - ONNX Runtime through node and the npm package onnxruntime-node (tests/interop/ort_run.js),
//    looked up in $GRAMLITE_ORT_NODE_MODULES, then <source>/third_party_peers/node_modules, then
//    <source>/node_modules (docs/onnx-export.md says how to install it);
//  - the Python onnx package's checker (/usr/bin/python3, Debian's python3-onnx), full_check on.
// The structural tests read the exported bytes with libonnx's protobuf classes and need neither.
//
// Bounds (float32): max |ORT - gramlite| <= 1e-4 * max(1, max |gramlite|), the import parity tests'
// bound (summation order and ORT's Conv + BatchNorm folding differ; a mis-mapped op gives errors of
// the order of the output); the re-imported graph within 1e-5 of the same scale. int8 (QDQ): in
// units of the output's scale (LSB), see the int8 tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <onnx/onnx_pb.h>

#include "gramlite/interop/onnx_export.h"
#include "gramlite/interop/onnx_import.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "onnx_export_test_support.h"

namespace gramlite::interop {
namespace {

namespace fs = std::filesystem;
using ir::OpKind;
using ir::TensorId;

constexpr double kReimportRelativeBound = 1e-5;

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

const onnx::TensorProto* initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

const onnx::NodeProto* node_writing(const onnx::ModelProto& m, const std::string& value) {
  for (const auto& n : m.graph().node()) {
    for (const auto& o : n.output()) {
      if (o == value) return &n;
    }
  }
  return nullptr;
}

int count_ops(const onnx::ModelProto& m, const std::string& op_type) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op_type ? 1 : 0;
  return n;
}

// ---- a graph builder for hand-made graphs -------------------------------------------------------

struct Builder {
  ir::Graph g;
  int counter = 0;

  TensorId input(const std::string& name, ir::Shape shape) {
    const TensorId id = g.add_value(name, std::move(shape));
    g.inputs.push_back(id);
    return id;
  }
  TensorId constant(const std::string& name, ir::Shape shape, uint32_t seed, float scale = 0.5f) {
    const int64_t n = ir::element_count(shape);
    return g.add_float_constant(name, std::move(shape), testing::random_input(static_cast<size_t>(n), seed, -scale, scale));
  }
  template <typename T>
  TensorId typed_constant(const std::string& name, ir::Shape shape, ir::DType dtype, const std::vector<T>& values,
                          ir::QuantParams quant) {
    const TensorId id = g.add_constant(name, std::move(shape), dtype, Buffer::copy_of(values.data(), values.size() * sizeof(T)));
    g.tensor(id).quant = std::move(quant);
    return id;
  }
  TensorId op(OpKind kind, std::vector<TensorId> inputs, ir::Attributes attrs = {},
              ir::Activation act = ir::Activation::kNone, ir::DType dtype = ir::DType::kFloat32, ir::QuantParams quant = {}) {
    ir::Node node;
    node.name = std::string(ir::op_kind_name(kind)) + "_" + std::to_string(counter++);
    node.kind = kind;
    node.inputs = std::move(inputs);
    node.attrs = std::holds_alternative<std::monostate>(attrs) ? ir::default_attributes(kind) : std::move(attrs);
    node.fused_activation = act;
    std::vector<ir::Shape> shapes;
    for (TensorId id : node.inputs) shapes.push_back(g.tensor(id).shape);
    Result<std::vector<ir::Shape>> out = ir::infer_node_output_shapes(g, node, shapes);
    EXPECT_TRUE(out.ok()) << node.name << ": " << out.status().message();
    const TensorId y = g.add_value(node.name + "_out", out.ok() ? out->front() : ir::Shape{}, dtype);
    g.tensor(y).quant = std::move(quant);
    node.outputs = {y};
    g.add_node(std::move(node));
    return y;
  }
};

ir::Conv2dAttrs conv_attrs(int k, int stride, ir::Padding2d pad, int groups = 1, int dilation = 1) {
  ir::Conv2dAttrs a;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.dilation_h = a.dilation_w = dilation;
  a.padding = pad;
  a.groups = groups;
  return a;
}

ir::Pool2dAttrs pool_attrs(int k, int stride, ir::Padding2d pad, bool ceil_mode, bool include_pad) {
  ir::Pool2dAttrs a;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.padding = pad;
  a.ceil_mode = ceil_mode;
  a.count_include_pad = include_pad;
  return a;
}

// Every float op kind, every fused activation, and the mapping's corner cases: grouped dilated
// convolution with asymmetric padding, average pooling with and without padded zeros counted,
// ceil_mode pooling whose last window ONNX would keep (written as floor mode), a Linear on a 3-d
// input (MatMul path), Reshape with 0 / -1, Pad with a non-zero value, a Dropout at the output.
ir::Graph all_ops_graph() {
  Builder b;
  const TensorId x = b.input("image", {ir::kDynamicDim, 3, 15, 15});
  ir::PadAttrs pad;
  pad.pads = {0, 0, 1, 0, 0, 0, 0, 2};
  pad.value = 0.25f;
  const TensorId padded = b.op(OpKind::kPad, {x}, pad);  // [N, 3, 16, 17]
  const TensorId c1 = b.op(OpKind::kConv2d, {padded, b.constant("c1.weight", {6, 1, 3, 3}, 1), b.constant("c1.bias", {6}, 2)},
                           conv_attrs(3, 1, {1, 2, 0, 1}, 3, 2), ir::Activation::kHardSwish);
  const TensorId bn = b.op(OpKind::kBatchNorm,
                           {c1, b.constant("bn.gamma", {6}, 3), b.constant("bn.beta", {6}, 4),
                            b.constant("bn.mean", {6}, 5), b.g.add_float_constant("bn.var", {6}, std::vector<float>(6, 0.7f))},
                           ir::BatchNormAttrs{1e-3f}, ir::Activation::kRelu6);
  const TensorId avg = b.op(OpKind::kAvgPool, {bn}, pool_attrs(3, 2, {1, 1, 1, 1}, true, false));
  const TensorId avg2 = b.op(OpKind::kAvgPool, {bn}, pool_attrs(3, 2, {1, 1, 1, 1}, true, true));
  const TensorId sum = b.op(OpKind::kAdd, {avg, avg2}, {}, ir::Activation::kSigmoid);
  const TensorId c2 = b.op(OpKind::kConv2d, {sum, b.constant("c2.weight", {8, 6, 1, 1}, 6)}, conv_attrs(1, 1, {}),
                           ir::Activation::kRelu);
  // 7x8 -> ceil_mode k2 s2 pad 1: ONNX (opset < 19) would keep a window starting in the padding.
  const TensorId mp = b.op(OpKind::kMaxPool, {c2}, pool_attrs(2, 2, {1, 1, 1, 1}, true, true));
  const TensorId hs = b.op(OpKind::kHardSwish, {mp});
  const TensorId hsig = b.op(OpKind::kHardSigmoid, {hs});
  const TensorId sig = b.op(OpKind::kSigmoid, {hs});
  const TensorId relu6 = b.op(OpKind::kRelu6, {hs});
  const TensorId se = b.op(OpKind::kMul, {hsig, b.op(OpKind::kGlobalAvgPool, {sig})});
  const TensorId cat = b.op(OpKind::kConcat, {se, relu6}, ir::ConcatAttrs{1});
  const TensorId relu = b.op(OpKind::kRelu, {cat});
  const TensorId scaled = b.op(OpKind::kMul, {relu, b.constant("scale", {1}, 7, 2.0f)});
  const TensorId shifted = b.op(OpKind::kAdd, {scaled, b.constant("shift", {16, 1, 1}, 8)}, {}, ir::Activation::kHardSigmoid);
  const TensorId gap = b.op(OpKind::kGlobalAvgPool, {shifted});  // [N, 16, 1, 1]
  const TensorId r = b.op(OpKind::kReshape, {gap}, ir::ReshapeAttrs{{0, 2, -1}});  // [N, 2, 8]
  const TensorId l1 = b.op(OpKind::kLinear, {r, b.constant("l1.weight", {5, 8}, 9), b.constant("l1.bias", {5}, 10)}, {},
                           ir::Activation::kRelu);  // [N, 2, 5]: MatMul + Add
  const TensorId flat = b.op(OpKind::kFlatten, {l1}, ir::FlattenAttrs{1});
  const TensorId l2 = b.op(OpKind::kLinear, {flat, b.constant("l2.weight", {4, 10}, 11), b.constant("l2.bias", {4}, 12)});
  const TensorId sm = b.op(OpKind::kSoftmax, {l2}, ir::SoftmaxAttrs{-1});
  const TensorId out = b.op(OpKind::kDropout, {sm}, ir::DropoutAttrs{0.2f});
  b.g.outputs = {out};
  b.g.metadata.class_names = {"a", "b,c", "q\"uote", "d"};
  b.g.metadata.output_kind = ir::OutputKind::kProbabilities;
  return std::move(b.g);
}

// ---- float: zoo models ---------------------------------------------------------------------------

struct ZooCase {
  std::string arch;
  int size = 0;
};

class ZooExport : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
    ASSERT_TRUE(dir_.ok());
    Result<zoo::ArchInfo> info = zoo::find_architecture(GetParam());
    ASSERT_TRUE(info.ok()) << info.status().message();
    zoo::BuildOptions options;
    options.num_classes = 3;
    options.seed = 5;
    options.input_size = info->min_input_size;  // small inputs, as tests/zoo use
    options.include_softmax = false;            // compare logits (Softmax is in the every-op graph)
    size_ = info->min_input_size;
    input_ = testing::random_input(static_cast<size_t>(kBatch * 3 * size_ * size_), 42);
    Result<ir::Graph> graph = zoo::build(GetParam(), options);
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    graph_ = std::move(graph).value();
    model_ = dir_.file(GetParam() + ".onnx");
    ASSERT_TRUE(export_onnx(graph_, model_, {}, &report_).ok());
  }

  static constexpr int64_t kBatch = 3;
  testing::TempDir dir_;
  ir::Graph graph_;
  int size_ = 0;
  std::string model_;
  OnnxExportReport report_;
  std::vector<float> input_;
};

TEST_P(ZooExport, RunsInOnnxRuntimeToGramlitesOutputs) {
  Result<std::vector<float>> expected = testing::run_gramlite(graph_, input_, kBatch);
  ASSERT_TRUE(expected.ok()) << expected.status().message();
  const testing::OrtResult ort = testing::run_ort(dir_, model_, input_, {kBatch, 3, size_, size_});
  if (ort.skipped) GTEST_SKIP() << ort.message;
  ASSERT_TRUE(ort.ok()) << ort.message;
  ASSERT_EQ(ort.output.size(), expected->size());
  // Freshly initialised zoo models are not trained: their logits vanish or grow with depth
  // (mobilenet_v2's are ~1e-10, inception_v3's ~1e8 at 75 px), so the bound scales with the
  // logits themselves. Float rounding is relative; a mis-mapped op is not.
  const double bound = testing::kOrtRelativeBound * testing::max_abs(*expected);
  const double diff = testing::max_abs_diff(*expected, ort.output);
  // The logits differ between the images (a constant output would make top-1 trivial).
  EXPECT_GT(testing::max_abs_diff(std::vector<float>(expected->begin(), expected->begin() + 3),
                         std::vector<float>(expected->begin() + 3, expected->begin() + 6)),
            10 * bound);
  std::cout << GetParam() << ": max |ORT - gramlite| = " << diff << " (bound " << bound << ", max |y| "
            << testing::max_abs(*expected) << ")\n";
  EXPECT_LE(diff, bound);
  EXPECT_EQ(testing::top1_agreements(*expected, ort.output, 3, bound), kBatch);
  EXPECT_FALSE(report_.quantized);
  EXPECT_EQ(report_.quantize_linear + report_.dequantize_linear, 0u);
}

TEST_P(ZooExport, ReimportsToTheSameOutputs) {
  OnnxImportOptions options;
  options.class_names = graph_.metadata.class_names;
  options.preprocessing = graph_.metadata.preprocessing;
  Result<ir::Graph> back = import_onnx(model_, options);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->tensor(back->inputs[0]).shape, graph_.tensor(graph_.inputs[0]).shape);
  Result<std::vector<float>> expected = testing::run_gramlite(graph_, input_, kBatch);
  Result<std::vector<float>> actual = testing::run_gramlite(*back, input_, kBatch);
  ASSERT_TRUE(expected.ok()) << expected.status().message();
  ASSERT_TRUE(actual.ok()) << actual.status().message();
  ASSERT_EQ(actual->size(), expected->size());
  EXPECT_LE(testing::max_abs_diff(*expected, *actual), kReimportRelativeBound * testing::max_abs(*expected));
}

TEST_P(ZooExport, PassesTheOnnxChecker) {
  const std::string verdict = testing::python_check(dir_, model_);
  if (verdict.rfind("skip: ", 0) == 0) GTEST_SKIP() << verdict;
  EXPECT_EQ(verdict, "");
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooExport, ::testing::ValuesIn(testing::zoo_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

// ---- float: every op ----------------------------------------------------------------------------

TEST(OnnxExport, EveryOpRunsInOnnxRuntimeAndReimports) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const ir::Graph graph = all_ops_graph();
  const std::string model = dir.file("all_ops.onnx");
  OnnxExportReport report;
  const Status s = export_onnx(graph, model, {}, &report);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(std::any_of(report.notes.begin(), report.notes.end(),
                          [](const std::string& n) { return n.find("ceil_mode") != std::string::npos; }))
      << "the ceil_mode case is not exercised";
  constexpr int64_t batch = 3;
  const std::vector<float> input = testing::random_input(static_cast<size_t>(batch * 3 * 15 * 15), 7);
  Result<std::vector<float>> expected = testing::run_gramlite(graph, input, batch);
  ASSERT_TRUE(expected.ok()) << expected.status().message();

  OnnxImportOptions options;
  options.class_names = graph.metadata.class_names;
  Result<ir::Graph> back = import_onnx(model, options);
  ASSERT_TRUE(back.ok()) << back.status().message();
  Result<std::vector<float>> reimported = testing::run_gramlite(*back, input, batch);
  ASSERT_TRUE(reimported.ok()) << reimported.status().message();
  EXPECT_LE(testing::max_abs_diff(*expected, *reimported), kReimportRelativeBound * std::max(1.0, testing::max_abs(*expected)));

  const std::string verdict = testing::python_check(dir, model);
  if (verdict.rfind("skip: ", 0) != 0) {
    EXPECT_EQ(verdict, "");
  }

  const testing::OrtResult ort = testing::run_ort(dir, model, input, {batch, 3, 15, 15});
  if (ort.skipped) GTEST_SKIP() << ort.message;
  ASSERT_TRUE(ort.ok()) << ort.message;
  ASSERT_EQ(ort.output.size(), expected->size());
  EXPECT_LE(testing::max_abs_diff(*expected, ort.output), testing::kOrtRelativeBound * std::max(1.0, testing::max_abs(*expected)));
}

TEST(OnnxExport, WritesOpset13MetadataAndASymbolicBatch) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  ir::Graph graph = all_ops_graph();
  graph.metadata.architecture = "hand_made";
  graph.metadata.extra["trained_on"] = "gram2";
  Result<std::string> bytes = export_onnx_to_memory(graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  const onnx::ModelProto m = parse(*bytes);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.producer_name(), "gramlite");
  ASSERT_EQ(m.graph().input_size(), 1);
  EXPECT_EQ(m.graph().input(0).name(), "image");
  const auto& in_shape = m.graph().input(0).type().tensor_type().shape();
  ASSERT_EQ(in_shape.dim_size(), 4);
  EXPECT_EQ(in_shape.dim(0).dim_param(), "batch");
  EXPECT_EQ(in_shape.dim(1).dim_value(), 3);
  ASSERT_EQ(m.graph().output_size(), 1);
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  // The Dropout at the end writes nothing; an Identity gives the output its IR name.
  const onnx::NodeProto* last = node_writing(m, m.graph().output(0).name());
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->op_type(), "Identity");
  EXPECT_EQ(count_ops(m, "Dropout"), 0);
  // Relu6 -> Clip(0, 6), HardSwish -> x * HardSigmoid(x) (no HardSwish at opset 13).
  EXPECT_EQ(count_ops(m, "HardSwish"), 0);
  EXPECT_GE(count_ops(m, "Clip"), 2);
  for (const auto& node : m.graph().node()) {
    if (node.op_type() != "HardSigmoid") continue;
    ASSERT_EQ(node.attribute_size(), 2);
    for (const auto& a : node.attribute()) EXPECT_FLOAT_EQ(a.f(), a.name() == "alpha" ? 1.0f / 6.0f : 0.5f);
  }
  std::map<std::string, std::string> props;
  for (const auto& p : m.metadata_props()) props[p.key()] = p.value();
  EXPECT_EQ(props["gramlite.class_names"], R"(["a","b,c","q\"uote","d"])");
  EXPECT_EQ(props["gramlite.output_kind"], "probabilities");
  EXPECT_EQ(props["gramlite.architecture"], "hand_made");
  EXPECT_EQ(props["gramlite.extra.trained_on"], "gram2");
  EXPECT_NE(props["gramlite.preprocessing"].find("\"mean\":[0.485,0.456,0.406]"), std::string::npos)
      << props["gramlite.preprocessing"];
}

// What export records in metadata_props comes back on import: class names (with a comma and a
// quote), a non-default preprocessing, the architecture and the extra entries. Explicit options
// win over the file; an unreadable entry is ignored with a note, not a failure.
TEST(OnnxExport, ReimportRestoresTheRecordedMetadata) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  ir::Graph graph = all_ops_graph();
  graph.metadata.architecture = "hand_made";
  graph.metadata.extra["trained_on"] = "gram2";
  graph.metadata.preprocessing.mean = {0.5f, 0.25f, 0.125f};
  graph.metadata.preprocessing.std = {0.3f, 0.2f, 0.1f};
  graph.metadata.preprocessing.resize = ir::ResizeMode::kShorterSideCrop;
  graph.metadata.preprocessing.bgr = true;
  Result<std::string> bytes = export_onnx_to_memory(graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();

  Result<ir::Graph> back = import_onnx_from_memory(bytes->data(), bytes->size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  const ir::ModelMetadata& m = back->metadata;
  EXPECT_EQ(m.class_names, graph.metadata.class_names);
  EXPECT_EQ(m.preprocessing.mean, graph.metadata.preprocessing.mean);
  EXPECT_EQ(m.preprocessing.std, graph.metadata.preprocessing.std);
  EXPECT_EQ(m.preprocessing.resize, ir::ResizeMode::kShorterSideCrop);
  EXPECT_TRUE(m.preprocessing.bgr);
  EXPECT_EQ(m.architecture, "hand_made");
  EXPECT_EQ(m.output_kind, graph.metadata.output_kind);
  EXPECT_EQ(m.extra.at("trained_on"), "gram2");
  EXPECT_EQ(m.extra.at("producer"), "gramlite interop (ONNX import)") << "this import's provenance wins";

  OnnxImportOptions options;
  options.class_names = {"w", "x", "y", "z"};
  options.preprocessing = ir::Preprocessing{};
  back = import_onnx_from_memory(bytes->data(), bytes->size(), options);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->metadata.class_names, options.class_names);
  EXPECT_EQ(back->metadata.preprocessing.mean, ir::Preprocessing{}.mean);
  EXPECT_FALSE(back->metadata.preprocessing.bgr);

  onnx::ModelProto m2 = parse(*bytes);
  for (auto& p : *m2.mutable_metadata_props()) {
    if (p.key() == "gramlite.class_names") p.set_value("[\"only\", \"three\", \"names\"]");
    if (p.key() == "gramlite.preprocessing") p.set_value(R"({"mean":[0.5,0.5,0.5],"std":[0,1,1]})");
  }
  const std::string edited = m2.SerializeAsString();
  OnnxImportReport report;
  back = import_onnx_from_memory(edited.data(), edited.size(), {}, &report);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->metadata.class_names, (std::vector<std::string>{"class_0", "class_1", "class_2", "class_3"}));
  EXPECT_EQ(back->metadata.preprocessing.mean, ir::Preprocessing{}.mean) << "a zero std is not taken";
  int noted = 0;
  for (const std::string& note : report.notes) {
    noted += note.find("ignored gramlite.class_names: 3 names for 4 outputs") != std::string::npos;
    noted += note.find("ignored gramlite.preprocessing") != std::string::npos;
  }
  EXPECT_EQ(noted, 2);
}

// ---- int8 (QDQ) ---------------------------------------------------------------------------------

// Quantize -> int8 Conv2d (ReLU) -> int8 GlobalAvgPool -> Flatten -> int8 Linear -> Dequantize, as
// docs/quantization.md defines the int8 graph: weights per output channel, bias int32 at
// s_x * s_w[c], activations per tensor with parameters chosen from the float range each stage
// produces on the test input (what calibration would do). `emulated` receives the QDQ graph's
// float semantics computed here: dequantized values, float op, quantize at each int8 tensor.
struct Int8Case {
  ir::Graph graph;
  std::vector<float> input;
  std::vector<float> emulated;
  float output_scale = 0.0f;
  static constexpr int64_t kBatch = 6, kIn = 3, kOut = 4, kClasses = 3, kSize = 8;
};

std::vector<float> fake_quant(const std::vector<float>& v, ir::AffineQuant q) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = ir::dequantize_value(ir::quantize_value(v[i], q.scale, q.zero_point), q.scale, q.zero_point);
  return out;
}

ir::AffineQuant range_quant(const std::vector<float>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return ir::choose_activation_quant(*lo, *hi);
}

ir::QuantParams per_tensor(ir::AffineQuant q) { return ir::QuantParams{{q.scale}, {q.zero_point}, -1}; }

// Per-channel int8 weights (axis 0) from float `w` [channels, rest]; returns the dequantized values.
std::vector<float> quantize_weights(const std::vector<float>& w, int64_t channels, std::vector<int8_t>* q,
                                    std::vector<float>* scales) {
  const size_t rest = w.size() / static_cast<size_t>(channels);
  std::vector<float> deq(w.size());
  q->resize(w.size());
  scales->resize(static_cast<size_t>(channels));
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    float m = 0.0f;
    for (size_t i = 0; i < rest; ++i) m = std::max(m, std::fabs(w[c * rest + i]));
    (*scales)[c] = ir::choose_weight_scale(m);
    for (size_t i = 0; i < rest; ++i) {
      const int32_t v = ir::quantize_value(w[c * rest + i], (*scales)[c], 0, -ir::kInt8WeightMax, ir::kInt8WeightMax);
      (*q)[c * rest + i] = static_cast<int8_t>(v);
      deq[c * rest + i] = ir::dequantize_value(v, (*scales)[c], 0);
    }
  }
  return deq;
}

std::vector<float> quantize_bias(const std::vector<float>& b, float input_scale, const std::vector<float>& weight_scales,
                                 std::vector<int32_t>* q, std::vector<float>* scales) {
  std::vector<float> deq(b.size());
  q->resize(b.size());
  scales->resize(b.size());
  for (size_t c = 0; c < b.size(); ++c) {
    (*scales)[c] = input_scale * weight_scales[c];
    (*q)[c] = static_cast<int32_t>(std::nearbyint(b[c] / (*scales)[c]));
    deq[c] = static_cast<float>((*q)[c]) * (*scales)[c];
  }
  return deq;
}

Int8Case int8_case() {
  using C = Int8Case;
  Int8Case c;
  c.input = testing::random_input(static_cast<size_t>(C::kBatch * C::kIn * C::kSize * C::kSize), 99);
  const std::vector<float> conv_w = testing::random_input(static_cast<size_t>(C::kOut * C::kIn * 9), 100, -0.4f, 0.4f);
  const std::vector<float> conv_b = testing::random_input(static_cast<size_t>(C::kOut), 101, -0.2f, 0.2f);
  const std::vector<float> lin_w = testing::random_input(static_cast<size_t>(C::kClasses * C::kOut), 102, -1.0f, 1.0f);
  const std::vector<float> lin_b = testing::random_input(static_cast<size_t>(C::kClasses), 103, -0.3f, 0.3f);

  // Stage by stage, in float on dequantized values (the QDQ semantics).
  const ir::AffineQuant q_in = range_quant(c.input);
  const std::vector<float> x = fake_quant(c.input, q_in);
  std::vector<int8_t> conv_wq, lin_wq;
  std::vector<int32_t> conv_bq, lin_bq;
  std::vector<float> conv_ws, conv_bs, lin_ws, lin_bs;
  const std::vector<float> wd = quantize_weights(conv_w, C::kOut, &conv_wq, &conv_ws);
  const std::vector<float> bd = quantize_bias(conv_b, q_in.scale, conv_ws, &conv_bq, &conv_bs);
  const int64_t S = C::kSize;
  std::vector<float> conv(static_cast<size_t>(C::kBatch * C::kOut * S * S));
  for (int64_t n = 0; n < C::kBatch; ++n) {
    for (int64_t o = 0; o < C::kOut; ++o) {
      for (int64_t y = 0; y < S; ++y) {
        for (int64_t xx = 0; xx < S; ++xx) {
          double acc = bd[static_cast<size_t>(o)];
          for (int64_t i = 0; i < C::kIn; ++i) {
            for (int64_t ky = 0; ky < 3; ++ky) {
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t iy = y + ky - 1, ix = xx + kx - 1;
                if (iy < 0 || iy >= S || ix < 0 || ix >= S) continue;  // padding reads real 0
                acc += static_cast<double>(x[static_cast<size_t>(((n * C::kIn + i) * S + iy) * S + ix)]) *
                       wd[static_cast<size_t>(((o * C::kIn + i) * 3 + ky) * 3 + kx)];
              }
            }
          }
          conv[static_cast<size_t>(((n * C::kOut + o) * S + y) * S + xx)] = static_cast<float>(std::max(acc, 0.0));
        }
      }
    }
  }
  const ir::AffineQuant q_conv = range_quant(conv);
  const std::vector<float> conv_q = fake_quant(conv, q_conv);
  std::vector<float> gap(static_cast<size_t>(C::kBatch * C::kOut));
  for (size_t p = 0; p < gap.size(); ++p) {
    double s = 0.0;
    for (int64_t i = 0; i < S * S; ++i) s += conv_q[p * static_cast<size_t>(S * S) + static_cast<size_t>(i)];
    gap[p] = static_cast<float>(s / static_cast<double>(S * S));
  }
  const ir::AffineQuant q_gap = range_quant(gap);
  const std::vector<float> gap_q = fake_quant(gap, q_gap);
  const std::vector<float> lwd = quantize_weights(lin_w, C::kClasses, &lin_wq, &lin_ws);
  const std::vector<float> lbd = quantize_bias(lin_b, q_gap.scale, lin_ws, &lin_bq, &lin_bs);
  std::vector<float> logits(static_cast<size_t>(C::kBatch * C::kClasses));
  for (int64_t n = 0; n < C::kBatch; ++n) {
    for (int64_t k = 0; k < C::kClasses; ++k) {
      double acc = lbd[static_cast<size_t>(k)];
      for (int64_t i = 0; i < C::kOut; ++i) {
        acc += static_cast<double>(gap_q[static_cast<size_t>(n * C::kOut + i)]) * lwd[static_cast<size_t>(k * C::kOut + i)];
      }
      logits[static_cast<size_t>(n * C::kClasses + k)] = static_cast<float>(acc);
    }
  }
  const ir::AffineQuant q_out = range_quant(logits);
  c.emulated = fake_quant(logits, q_out);
  c.output_scale = q_out.scale;

  Builder b;
  const TensorId in = b.input("image", {ir::kDynamicDim, C::kIn, S, S});
  const TensorId xq = b.op(OpKind::kQuantize, {in}, {}, ir::Activation::kNone, ir::DType::kInt8, per_tensor(q_in));
  const TensorId cw = b.typed_constant("conv.weight", {C::kOut, C::kIn, 3, 3}, ir::DType::kInt8, conv_wq,
                                       ir::QuantParams{conv_ws, std::vector<int32_t>(conv_ws.size(), 0), 0});
  const TensorId cb = b.typed_constant("conv.bias", {C::kOut}, ir::DType::kInt32, conv_bq,
                                       ir::QuantParams{conv_bs, std::vector<int32_t>(conv_bs.size(), 0), 0});
  const TensorId y1 = b.op(OpKind::kConv2d, {xq, cw, cb}, conv_attrs(3, 1, {1, 1, 1, 1}), ir::Activation::kRelu,
                           ir::DType::kInt8, per_tensor(q_conv));
  const TensorId y2 = b.op(OpKind::kGlobalAvgPool, {y1}, {}, ir::Activation::kNone, ir::DType::kInt8, per_tensor(q_gap));
  const TensorId y3 = b.op(OpKind::kFlatten, {y2}, ir::FlattenAttrs{1}, ir::Activation::kNone, ir::DType::kInt8, per_tensor(q_gap));
  const TensorId lw = b.typed_constant("fc.weight", {C::kClasses, C::kOut}, ir::DType::kInt8, lin_wq,
                                       ir::QuantParams{lin_ws, std::vector<int32_t>(lin_ws.size(), 0), 0});
  const TensorId lb = b.typed_constant("fc.bias", {C::kClasses}, ir::DType::kInt32, lin_bq,
                                       ir::QuantParams{lin_bs, std::vector<int32_t>(lin_bs.size(), 0), 0});
  const TensorId y4 = b.op(OpKind::kLinear, {y3, lw, lb}, {}, ir::Activation::kNone, ir::DType::kInt8, per_tensor(q_out));
  const TensorId logits_out = b.op(OpKind::kDequantize, {y4});
  b.g.outputs = {logits_out};
  b.g.metadata.class_names = {"a", "b", "c"};
  c.graph = std::move(b.g);
  return c;
}

std::vector<int64_t> dims_of(const onnx::TensorProto& t) { return {t.dims().begin(), t.dims().end()}; }

TEST(OnnxExportInt8, WritesTheQdqLayout) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  const Int8Case c = int8_case();
  OnnxExportReport report;
  Result<std::string> bytes = export_onnx_to_memory(c.graph, {}, &report);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_TRUE(report.quantized);
  const onnx::ModelProto m = parse(*bytes);
  // One QuantizeLinear per int8 tensor (input, conv, pool, flatten, linear); DequantizeLinear for
  // each int8 tensor a float op reads (4), two weights, two biases and the graph's Dequantize.
  EXPECT_EQ(count_ops(m, "QuantizeLinear"), 5);
  EXPECT_EQ(count_ops(m, "DequantizeLinear"), 9);
  EXPECT_EQ(report.quantize_linear, 5u);
  EXPECT_EQ(report.dequantize_linear, 9u);

  // The int8 weight: an INT8 initializer named as in the IR, per-channel scales on axis 0.
  const onnx::TensorProto* w = initializer(m, "conv.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
  EXPECT_EQ(dims_of(*w), (std::vector<int64_t>{4, 3, 3, 3}));
  const onnx::TensorProto& ir_w = *w;
  const ir::Tensor& gw = c.graph.tensor(*c.graph.find_tensor("conv.weight"));
  EXPECT_EQ(ir_w.raw_data(), std::string(reinterpret_cast<const char*>(gw.data.data()), gw.data.size()));
  const onnx::NodeProto* dq_w = nullptr;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "DequantizeLinear" && n.input(0) == "conv.weight") dq_w = &n;
  }
  ASSERT_NE(dq_w, nullptr);
  ASSERT_EQ(dq_w->attribute_size(), 1);
  EXPECT_EQ(dq_w->attribute(0).name(), "axis");
  EXPECT_EQ(dq_w->attribute(0).i(), 0);
  const onnx::TensorProto* ws = initializer(m, dq_w->input(1));
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(dims_of(*ws), (std::vector<int64_t>{4}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ws->float_data(i), gw.quant.scales[static_cast<size_t>(i)]);
  const onnx::TensorProto* wz = initializer(m, dq_w->input(2));
  ASSERT_NE(wz, nullptr);
  EXPECT_EQ(wz->data_type(), onnx::TensorProto::INT8);

  // The int32 bias behind a DequantizeLinear at s_x * s_w[c].
  const onnx::TensorProto* bias = initializer(m, "conv.bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->data_type(), onnx::TensorProto::INT32);
  const ir::Tensor& gb = c.graph.tensor(*c.graph.find_tensor("conv.bias"));
  const float s_x = c.graph.tensor(c.graph.nodes[0].outputs[0]).quant.scales[0];
  for (const auto& n : m.graph().node()) {
    if (n.op_type() != "DequantizeLinear" || n.input(0) != "conv.bias") continue;
    const onnx::TensorProto* bs = initializer(m, n.input(1));
    ASSERT_NE(bs, nullptr);
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(bs->float_data(i), s_x * gw.quant.scales[static_cast<size_t>(i)]) << i;
    EXPECT_EQ(initializer(m, n.input(2))->data_type(), onnx::TensorProto::INT32);
    (void)gb;
  }

  // The Conv reads dequantized values and its output goes Relu -> QuantizeLinear -> the int8 value
  // named as the IR's conv output.
  const std::string conv_out = c.graph.tensor(c.graph.nodes[1].outputs[0]).name;
  const onnx::NodeProto* q = node_writing(m, conv_out);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->op_type(), "QuantizeLinear");
  const onnx::NodeProto* relu = node_writing(m, q->input(0));
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->op_type(), "Relu");
  const onnx::NodeProto* conv = node_writing(m, relu->input(0));
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->op_type(), "Conv");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(node_writing(m, conv->input(i))->op_type(), "DequantizeLinear") << i;
  const onnx::TensorProto* zp = initializer(m, q->input(2));
  ASSERT_NE(zp, nullptr);
  EXPECT_EQ(zp->data_type(), onnx::TensorProto::INT8);
  EXPECT_EQ(zp->dims_size(), 0);  // per-tensor: a scalar
  // The graph output is the Dequantize's float output.
  EXPECT_EQ(node_writing(m, m.graph().output(0).name())->op_type(), "DequantizeLinear");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);

  testing::TempDir dir;
  const std::string model = dir.file("int8.onnx");
  testing::write_text(model, *bytes);
  const std::string verdict = testing::python_check(dir, model);
  if (verdict.rfind("skip: ", 0) != 0) {
    EXPECT_EQ(verdict, "");
  }
}

// ONNX Runtime against the QDQ semantics computed in this test: with ORT's graph optimizations off
// it computes exactly those float ops (differences are float summation order, which may flip a
// rounding: <= 1 output LSB); with them on it fuses QLinearConv / QLinearMatMul / integer pooling
// whose own requantization rounding may differ by 1 LSB at each int8 tensor (<= 2 output LSB here).
TEST(OnnxExportInt8, RunsInOnnxRuntimeWithinTheOutputLsb) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  const Int8Case c = int8_case();
  const std::string model = dir.file("int8.onnx");
  ASSERT_TRUE(export_onnx(c.graph, model).ok());
  const std::vector<int64_t> dims = {Int8Case::kBatch, Int8Case::kIn, Int8Case::kSize, Int8Case::kSize};
  for (const bool optimize : {false, true}) {
    const testing::OrtResult ort = testing::run_ort(dir, model, c.input, dims, optimize);
    if (ort.skipped) GTEST_SKIP() << ort.message;
    ASSERT_TRUE(ort.ok()) << ort.message;
    ASSERT_EQ(ort.output.size(), c.emulated.size());
    const double lsb = testing::max_abs_diff(ort.output, c.emulated) / c.output_scale;
    std::cout << "int8 QDQ in ORT (optimizations " << (optimize ? "on" : "off") << "): max difference " << lsb
              << " output LSB\n";
    EXPECT_LE(lsb, optimize ? 2.0 + 1e-3 : 1.0 + 1e-3);
  }
}

// ONNX Runtime against gramlite's int8 reference kernels (the runtime's oracle), once they exist:
// without an int8 kernel for these ops the session cannot be created and the test says so.
TEST(OnnxExportInt8, RunsInOnnxRuntimeWithinAFewLsbOfGramlitesInt8Kernels) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  const Int8Case c = int8_case();
  Result<std::vector<float>> expected = testing::run_gramlite(c.graph, c.input, Int8Case::kBatch);
  if (!expected.ok() && expected.status().code() == StatusCode::kUnsupported) {
    GTEST_SKIP() << "no int8 reference kernels in this build yet: " << expected.status().message();
  }
  ASSERT_TRUE(expected.ok()) << expected.status().message();
  const double gl_lsb = testing::max_abs_diff(*expected, c.emulated) / c.output_scale;
  const std::string model = dir.file("int8.onnx");
  ASSERT_TRUE(export_onnx(c.graph, model).ok());
  const testing::OrtResult ort = testing::run_ort(dir, model, c.input, {Int8Case::kBatch, Int8Case::kIn, Int8Case::kSize, Int8Case::kSize});
  if (ort.skipped) GTEST_SKIP() << ort.message;
  ASSERT_TRUE(ort.ok()) << ort.message;
  const double lsb = testing::max_abs_diff(ort.output, *expected) / c.output_scale;
  std::cout << "int8: max |ORT - gramlite int8| = " << lsb << " output LSB (gramlite vs QDQ float semantics: " << gl_lsb
            << " LSB)\n";
  EXPECT_LE(lsb, 3.0 + 1e-3);
  EXPECT_EQ(testing::top1_agreements(*expected, ort.output, Int8Case::kClasses, 3.0 * c.output_scale), Int8Case::kBatch);
}


// ---- errors -------------------------------------------------------------------------------------

TEST(OnnxExport, RefusesWhatItCannotDescribeNamingTheTensor) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  {
    Int8Case c = int8_case();
    c.graph.tensor(*c.graph.find_tensor("conv.weight")).quant = {};
    Result<std::string> r = export_onnx_to_memory(c.graph);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("conv.weight"), std::string::npos) << r.status().message();
  }
  {
    Int8Case c = int8_case();
    ir::Tensor& act = c.graph.tensor(c.graph.nodes[1].outputs[0]);
    act.quant.scales = {0.1f, 0.2f};
    act.quant.zero_points = {0, 0};
    act.quant.axis = 5;  // not even a valid axis: validation refuses first
    Result<std::string> r = export_onnx_to_memory(c.graph);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(act.name), std::string::npos) << r.status().message();
  }
  {
    Int8Case c = int8_case();
    ir::Tensor& act = c.graph.tensor(c.graph.nodes[2].outputs[0]);  // [N, 4, 1, 1]
    act.quant.scales = {0.1f, 0.2f, 0.3f, 0.4f};
    act.quant.zero_points = {0, 0, 0, 0};
    act.quant.axis = 1;
    Result<std::string> r = export_onnx_to_memory(c.graph);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(act.name), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("per tensor"), std::string::npos) << r.status().message();
  }
  {
    ir::Graph graph = all_ops_graph();
    graph.tensor(*graph.find_tensor("c2.weight")).sparsity.encoding = ir::SparsityEncoding::kBitmap;
    Result<std::string> r = export_onnx_to_memory(graph);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(r.status().message().find("c2.weight"), std::string::npos) << r.status().message();
  }
  {
    ir::Graph graph = all_ops_graph();
    graph.nodes[3].inputs[0] = 9999;
    Result<std::string> r = export_onnx_to_memory(graph);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(OnnxExport, WritesAtomically) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  const ir::Graph graph = all_ops_graph();
  // A missing folder: an I/O error, nothing written.
  const Status missing = export_onnx(graph, dir.file("no/such/folder/model.onnx"));
  EXPECT_EQ(missing.code(), StatusCode::kIoError) << missing.message();
  EXPECT_NE(missing.message().find("model.onnx"), std::string::npos) << missing.message();
  // A failed export leaves an existing file as it was, and no temporary beside it.
  const std::string path = dir.file("model.onnx");
  testing::write_text(path, "previous");
  ir::Graph broken = graph;
  broken.nodes[0].inputs[0] = 9999;
  EXPECT_FALSE(export_onnx(broken, path).ok());
  EXPECT_EQ(testing::read_text(path), "previous");
  ASSERT_TRUE(export_onnx(graph, path).ok());
  Result<std::string> bytes = export_onnx_to_memory(graph);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(testing::read_text(path), *bytes);  // deterministic: the same bytes twice
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) entries += e.path().filename() == "model.onnx" ? 0 : 1;
  EXPECT_EQ(entries, 0);
}

}  // namespace
}  // namespace gramlite::interop
