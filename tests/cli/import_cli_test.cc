// The gramlite program against hostile inputs to `import`, `info` and `run`: special files given as
// models, corrupt ONNX and .pth files, unchecked normalisation values, images declaring a huge
// size. Each case checks the exit code of the README's contract and that the error is one line.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "../interop/pickle_builder.h"
#include "../interop/zip_builder.h"
#include "cli_test_util.h"

namespace gramlite {
namespace {

// A command that blocks (a FIFO) ends with exit code 124, not a hung test.
CommandResult run_bounded(const std::string& args, int seconds = 30) { return run_gramlite_within(seconds, args); }

// The output is exactly one "gramlite: error: ..." line.
void expect_one_error_line(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "more than one line:\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.output;
}

// x [N, 3, 8, 8] -> Conv 1x1 (2 channels) -> GlobalAveragePool -> Flatten -> y [N, 2].
onnx::ModelProto small_onnx(int opset = 13) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("gramlite-cli-test");
  auto* set = model.add_opset_import();
  set->set_domain("");
  set->set_version(opset);
  auto* g = model.mutable_graph();
  g->set_name("cli_test");
  const auto value_info = [](onnx::ValueInfoProto* info, const std::string& name, std::vector<int64_t> dims) {
    info->set_name(name);
    auto* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = type->mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  };
  value_info(g->add_input(), "x", {1, 3, 8, 8});
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 3, 1, 1}) w->add_dims(d);
  for (int i = 0; i < 6; ++i) w->add_float_data(0.1f * static_cast<float>(i + 1));
  const auto node = [&](const std::string& op, std::vector<std::string> inputs, const std::string& output) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(output + "_node");
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
  };
  node("Conv", {"x", "w"}, "c");
  node("GlobalAveragePool", {"c"}, "p");
  node("Flatten", {"p"}, "y");
  value_info(g->add_output(), "y", {1, 2});
  return model;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class ImportCliTest : public CliTest {};

// F2: a FIFO used to hang every command that reads a model; a directory as .pth said "cannot
// allocate 9223372036854775807 bytes". All are one line naming the path and what it is (exit 3,
// as a missing file and as `tiles` says of a slide that is not a regular file).
TEST_F(ImportCliTest, FifoDirectoryAndDeviceInputsFailFastInOneLine) {
  const std::string fifo = path("model.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::string> commands = {"import onnx " + fifo + " -o " + path("a.gramlite"),
                                             "import torchvision " + fifo + " --arch resnet50 -o " + path("b.gramlite"),
                                             "info " + fifo};
  for (const std::string& command : commands) {
    const CommandResult r = run_bounded(command);
    EXPECT_EQ(r.exit_code, 3) << command << "\n" << r.output;
    expect_one_error_line(r, "is not a regular file (a FIFO)");
  }
  for (const std::string& target : {dir_.string(), std::string("/dev/zero")}) {
    const CommandResult pth = run_bounded("import torchvision " + target + " --arch resnet50 -o " + path("c.gramlite"));
    EXPECT_EQ(pth.exit_code, 3) << pth.output;
    expect_one_error_line(pth, "is not a regular file");
    EXPECT_EQ(pth.output.find("cannot allocate"), std::string::npos) << pth.output;
    const CommandResult onnx = run_bounded("import onnx " + target + " -o " + path("d.gramlite"));
    EXPECT_EQ(onnx.exit_code, 3) << onnx.output;
    expect_one_error_line(onnx, "is not a regular file");
  }
  EXPECT_FALSE(fs::exists(path("a.gramlite")));
}

// F5, F6: the ONNX checker's multi-line text and the importer's graph errors are corrupt input
// (exit 4) in one line; a .pth holding {'state_dict': 5} is unusable input (exit 4), not a missing file.
TEST_F(ImportCliTest, CorruptOnnxAndPthAreExit4InOneLine) {
  onnx::ModelProto broken = small_onnx();
  broken.mutable_graph()->mutable_node(0)->set_input(1, "nowhere");
  write_bytes(path("broken.onnx"), broken.SerializeAsString());
  CommandResult r = run_bounded("import onnx " + path("broken.onnx") + " -o " + path("m.gramlite"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  expect_one_error_line(r, "the ONNX checker rejects it");

  interop::testing::PickleBuilder pickle;
  pickle.proto(2).empty_dict().str("state_dict").int1(5).setitem().stop();
  write_bytes(path("five.pth"), interop::testing::build_zip({{"archive/data.pkl", pickle.finish(), 0},
                                                             {"archive/version", "3\n", 0}}));
  r = run_bounded("import torchvision " + path("five.pth") + " --arch resnet50 -o " + path("m.gramlite"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  expect_one_error_line(r, "'state_dict'");
  EXPECT_FALSE(fs::exists(path("m.gramlite")));
}

// F8: normalisation values that would make every output NaN are refused as bad arguments.
TEST_F(ImportCliTest, NonFiniteOrZeroNormalisationIsRefused) {
  write_bytes(path("ok.onnx"), small_onnx().SerializeAsString());
  for (const std::string flag : {"--mean nan,nan,nan", "--mean 0.5,inf,0.5", "--std inf,1,1", "--std 0,1,1",
                                  "--std 1,nan,1", "--std -1,1,1"}) {
    const CommandResult r = run_bounded("import onnx " + path("ok.onnx") + " " + flag + " -o " + path("m.gramlite"));
    EXPECT_EQ(r.exit_code, 2) << flag << "\n" << r.output;
    expect_one_error_line(r, flag.substr(0, flag.find(' ')));
    EXPECT_FALSE(fs::exists(path("m.gramlite"))) << flag;
  }
  const CommandResult ok =
      run_bounded("import onnx " + path("ok.onnx") + " --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 -o " + path("m.gramlite"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

// F10: opset 999 is refused (exit 4); an unused second graph input is dropped with a note, and
// the imported model then runs on an image.
TEST_F(ImportCliTest, NewOpsetRefusedAndUnusedInputDropped) {
  write_bytes(path("future.onnx"), small_onnx(999).SerializeAsString());
  CommandResult r = run_bounded("import onnx " + path("future.onnx") + " -o " + path("f.gramlite"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  expect_one_error_line(r, "opset 999");

  onnx::ModelProto two_inputs = small_onnx();
  auto* extra = two_inputs.mutable_graph()->add_input();
  *extra = two_inputs.graph().input(0);
  extra->set_name("unused_mask");
  write_bytes(path("two.onnx"), two_inputs.SerializeAsString());
  r = run_bounded("import onnx " + path("two.onnx") + " -o " + path("two.gramlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: graph input 'unused_mask'"), std::string::npos) << r.output;
  ASSERT_TRUE(cv::imwrite(path("tile.png"), cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 120, 200))));
  r = run_bounded("run " + path("two.gramlite") + " " + path("tile.png"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// F9: a few bytes declaring 30000 x 30000 pixels used to make `run` use 5.2 GiB for 25 s. The
// declared size is refused before decoding: exit 4, fast, naming the file, the size and the limit.
TEST_F(ImportCliTest, ImageDeclaringAHugeSizeIsRefusedFast) {
  write_bytes(path("ok.onnx"), small_onnx().SerializeAsString());
  ASSERT_EQ(run_bounded("import onnx " + path("ok.onnx") + " -o " + path("m.gramlite")).exit_code, 0);
  std::string png("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x75\x30\x00\x00\x75\x30\x08\x02\x00\x00\x00", 29);
  png += std::string("\x1f\x8a\x8b\x5c", 4);  // the IHDR CRC does not matter: the header is refused first
  write_bytes(path("huge.png"), png);
  const auto start = std::chrono::steady_clock::now();
  const CommandResult r = run_bounded("run " + path("m.gramlite") + " " + path("huge.png"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("30000x30000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("100,000,000"), std::string::npos) << r.output;
  EXPECT_LT(seconds, 10.0);
}

}  // namespace
}  // namespace gramlite
