// `gramlite info` on quantized models (precision, dtypes, scales and zero points, the float nodes
// of an int8 graph, in text and JSON), and `info` / `run` on a file whose quantization parameters
// are corrupt: exit 4 and one error line naming the tensor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <iomanip>
#include <sstream>

#include "cli_test_util.h"
#include "file_surgery.h"
#include "gramlite/format/model_file.h"
#include "quant_test_models.h"

namespace gramlite {
namespace {

using ::testing::HasSubstr;

class InfoQuantCliTest : public CliTest {
 protected:
  std::string save(const ir::Graph& graph, const std::string& name) {
    const std::string file = path(name);
    const Status s = format::save_model(graph, file);
    EXPECT_TRUE(s.ok()) << s.message();
    return file;
  }
  std::string write(const std::vector<uint8_t>& bytes, const std::string& name) {
    const std::string file = path(name);
    std::FILE* f = std::fopen(file.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    if (f != nullptr) {
      EXPECT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
      std::fclose(f);
    }
    return file;
  }
};

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

TEST_F(InfoQuantCliTest, TextShowsPrecisionScalesZeroPointsAndFloatNodes) {
  const ir::Graph graph = format::testing::make_int8_graph();
  const std::string model = save(graph, "int8.gramlite");
  const CommandResult r = run_gramlite("info " + model);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("precision:     int8 (full integer); 4 int8, 1 float, 2 quantize/dequantize nodes"));
  EXPECT_THAT(r.output, HasSubstr("float nodes:   softmax\n"));
  EXPECT_THAT(r.output, HasSubstr("tensors:       fp32 3, int32 2, int8 7\n"));
  EXPECT_THAT(r.output, HasSubstr("quantized tensor"));
  // A per-tensor activation: its scale and zero point; a per-channel weight: count, range, axis.
  const ir::QuantParams& x = graph.tensor(*graph.find_tensor("image.q")).quant;
  std::ostringstream scale;
  scale << std::setprecision(6) << x.scales[0];
  const std::string x_row = r.output.substr(r.output.find("\nimage.q "));
  EXPECT_THAT(x_row.substr(0, x_row.find('\n', 1)),
              ::testing::MatchesRegex(".*image.q +int8 +\\[N, 3, 6, 6\\] +" + scale.str() + " +" +
                                      std::to_string(x.zero_points[0]) + " +-"));
  const std::string w_row = r.output.substr(r.output.find("\nconv.weight "));
  EXPECT_THAT(w_row.substr(0, w_row.find('\n', 1)),
              ::testing::MatchesRegex(".*conv.weight +int8 +\\[4, 3, 3, 3\\] +4 per channel: [0-9.e-]+\\.\\.[0-9.e-]+ +0 +0"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("\nconv.bias +int32 +\\[4\\] +4 per channel"));

  // --no-layers keeps the summary lines, not the tables.
  const CommandResult brief = run_gramlite("info --no-layers " + model);
  ASSERT_EQ(brief.exit_code, 0) << brief.output;
  EXPECT_THAT(brief.output, HasSubstr("precision:     int8 (full integer)"));
  EXPECT_EQ(brief.output.find("quantized tensor"), std::string::npos);
}

TEST_F(InfoQuantCliTest, JsonHasTheSameFacts) {
  const ir::Graph graph = format::testing::make_int8_graph();
  const CommandResult r = run_gramlite("info --json " + save(graph, "int8.gramlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["precision"], "int8 (full integer)");
  EXPECT_EQ(j["nodes_by_precision"]["int8"], 4);
  EXPECT_EQ(j["nodes_by_precision"]["float"], 1);
  EXPECT_EQ(j["nodes_by_precision"]["quantize_dequantize"], 2);
  EXPECT_EQ(j["float_nodes"], nlohmann::json::array({"softmax"}));
  EXPECT_EQ(j["tensor_dtypes"]["int8"], 7);
  ASSERT_EQ(j["tensors"].size(), graph.tensors.size());
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const ir::Tensor& t = graph.tensors[i];
    const nlohmann::json& row = j["tensors"][i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(row["name"], t.name);
    EXPECT_EQ(row["dtype"], ir::dtype_name(t.dtype));
    EXPECT_EQ(row["constant"], t.is_constant());
    if (t.quant.empty()) {
      EXPECT_FALSE(row.contains("quant"));
    } else if (!t.quant.per_channel()) {
      EXPECT_EQ(row["quant"]["scale"].get<float>(), t.quant.scales[0]);
      EXPECT_EQ(row["quant"]["zero_point"], t.quant.zero_points[0]);
    } else {
      EXPECT_EQ(row["quant"]["count"], t.quant.scales.size());
      EXPECT_EQ(row["quant"]["axis"], 0);
      EXPECT_EQ(row["quant"]["scale_min"].get<float>(), *std::min_element(t.quant.scales.begin(), t.quant.scales.end()));
      EXPECT_EQ(row["quant"]["scale_max"].get<float>(), *std::max_element(t.quant.scales.begin(), t.quant.scales.end()));
      EXPECT_EQ(row["quant"]["zero_point_min"], 0);
      EXPECT_EQ(row["quant"]["zero_point_max"], 0);
    }
  }
}

TEST_F(InfoQuantCliTest, SparseInt8WeightsCountTheirZerosAndShowHowTheyAreStored) {
  ir::Graph graph = format::testing::make_int8_graph();
  ir::Tensor& weight = graph.tensor(*graph.find_tensor("conv.weight"));
  std::vector<uint8_t> q(weight.data.size(), 0);
  q[0] = 5;  // one non-zero: stored index-encoded in 2 bytes (gap, value)
  weight.data = Buffer::copy_of(q.data(), q.size());
  const std::string model = save(graph, "sparse_int8.gramlite");
  const CommandResult text = run_gramlite("info " + model);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("stored:        "));
  EXPECT_THAT(text.output, HasSubstr("compactly stored tensor"));
  const CommandResult json = run_gramlite("info --json " + model);
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const nlohmann::json j = nlohmann::json::parse(json.output);
  const auto id = static_cast<size_t>(*graph.find_tensor("conv.weight"));
  EXPECT_EQ(j["tensors"][id]["stored_as"], "index");
  EXPECT_EQ(j["tensors"][id]["stored_bytes"], 2);
  EXPECT_GE(j["storage"]["compact_tensors"]["index"].get<int>(), 1);
  EXPECT_GT(j["storage"]["saved_bytes"].get<int64_t>(), 0);
  bool found = false;
  for (const nlohmann::json& layer : j["layers"]) {
    if (layer["name"] != "conv") continue;
    found = true;
    EXPECT_EQ(layer["zero_weights"].get<int64_t>(), static_cast<int64_t>(q.size()) - 1);  // int8 zeros count
  }
  EXPECT_TRUE(found);
}

TEST_F(InfoQuantCliTest, PrecisionOfEachVariant) {
  const struct {
    ir::Graph graph;
    const char* precision;
  } variants[] = {{format::testing::make_float_graph(), "float32"},
                  {format::testing::make_fp16_graph(), "float16 weights"},
                  {format::testing::make_dynamic_graph(), "int8 weights, float activations (dynamic)"}};
  int index = 0;
  for (const auto& v : variants) {
    const std::string model = save(v.graph, "m" + std::to_string(index++) + ".gramlite");
    const CommandResult text = run_gramlite("info " + model);
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_THAT(text.output, HasSubstr(std::string("precision:     ") + v.precision + "; 0 int8, 4 float, 0 "));
    EXPECT_EQ(text.output.find("float nodes:"), std::string::npos);  // only int8 graphs list them
    const CommandResult json = run_gramlite("info --json " + model);
    ASSERT_EQ(json.exit_code, 0) << json.output;
    EXPECT_EQ(nlohmann::json::parse(json.output)["precision"], v.precision);
  }
}

TEST_F(InfoQuantCliTest, CorruptQuantizationIsExit4NamingTheTensor) {
  const std::vector<uint8_t> good = *format::serialize_model(format::testing::make_int8_graph());
  // Each case edits the quantization parameters of one tensor, found by name.
  const struct {
    const char* name;
    const char* tensor;
    std::function<void(format::fb::TensorT&)> edit;
  } cases[] = {
      {"zero_scale", "conv_out", [](format::fb::TensorT& t) { t.quant->scales[0] = 0.0f; }},
      {"negative_scale", "conv.weight", [](format::fb::TensorT& t) { t.quant->scales[1] = -1.0f; }},
      {"zero_point", "image.q", [](format::fb::TensorT& t) { t.quant->zero_points[0] = 300; }},
      {"bias_scale", "conv.bias", [](format::fb::TensorT& t) { t.quant.reset(); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    bool edited = false;
    const std::string model = write(format::testing::rewrite_graph(good,
                                                                   [&](format::fb::ModelT& m) {
                                                                     for (auto& t : m.tensors) {
                                                                       if (t->name != c.tensor) continue;
                                                                       c.edit(*t);
                                                                       edited = true;
                                                                     }
                                                                   }),
                                    std::string(c.name) + ".gramlite");
    ASSERT_TRUE(edited);
    for (const std::string& command : {"info " + model, "info --json " + model
#ifdef GRAMLITE_TEST_RUN
                                       , "run " + model + " " + path("no_image_needed.png")
#endif
         }) {
      const CommandResult r = run_gramlite(command);
      EXPECT_EQ(r.exit_code, 4) << command << "\n" << r.output;
      EXPECT_EQ(count_lines(r.output), 1u) << r.output;
      EXPECT_THAT(r.output, HasSubstr("gramlite: error: "));
      EXPECT_THAT(r.output, HasSubstr(std::string("'") + c.tensor + "'"));
    }
  }
}

}  // namespace
}  // namespace gramlite
