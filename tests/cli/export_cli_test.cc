// `gramlite export FILE --format onnx -o OUT.onnx`: the README's exit codes (2 bad arguments,
// 3 missing file, 4 corrupt input, 1 otherwise), one-line errors, no file left behind by a failure,
// and a written file that is ONNX opset 13 and imports back with `gramlite import onnx`.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli_test_util.h"

namespace gramlite {
namespace {

void expect_one_error_line(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "more than one line:\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.output;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ExportCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    model_ = path("m.gramlite");
    const CommandResult built = run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 -o " + model_);
    ASSERT_EQ(built.exit_code, 0) << built.output;
  }
  std::string model_;
};

TEST_F(ExportCliTest, WritesAnOnnxFileThatImportsBack) {
  const std::string out = path("m.onnx");
  const CommandResult r = run_gramlite("export " + model_ + " --format onnx -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + out + ": ONNX opset 13"), std::string::npos) << r.output;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(read_bytes(out)));
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 13);
  bool has_classes = false;
  for (const auto& p : m.metadata_props()) has_classes = has_classes || (p.key() == "gramlite.class_names" && p.value() == R"(["class_0","class_1"])");
  EXPECT_TRUE(has_classes);
  const CommandResult back = run_gramlite("import onnx " + out + " --classes a,b -o " + path("back.gramlite"));
  EXPECT_EQ(back.exit_code, 0) << back.output;
}

TEST_F(ExportCliTest, ExitCodesAndOneLineErrors) {
  const std::string out = path("x.onnx");
  CommandResult r = run_gramlite("export " + model_ + " --format tflite -o " + out);
  EXPECT_EQ(r.exit_code, 2);
  expect_one_error_line(r, "unknown export format 'tflite'");

  r = run_gramlite("export " + model_ + " -o " + out);  // --format is required
  EXPECT_EQ(r.exit_code, 2) << r.output;

  r = run_gramlite("export " + path("missing.gramlite") + " --format onnx -o " + out);
  EXPECT_EQ(r.exit_code, 3);
  expect_one_error_line(r, "missing.gramlite");

  const std::string corrupt = path("corrupt.gramlite");
  std::ofstream(corrupt, std::ios::binary) << "not a gramlite model, just some bytes that are long enough";
  r = run_gramlite("export " + corrupt + " --format onnx -o " + out);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  expect_one_error_line(r, "corrupt.gramlite");

  r = run_gramlite("export " + model_ + " --format onnx -o " + path("no/such/folder/x.onnx"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_one_error_line(r, "x.onnx");

  EXPECT_FALSE(fs::exists(out));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path().extension() == ".onnx" ? 1 : 0;
  EXPECT_EQ(entries, 0) << "a failed export left a file";
}

}  // namespace
}  // namespace gramlite
