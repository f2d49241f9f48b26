#include "gramlite/interop/torch_state_dict.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>

#include "../base/special_files.h"
#include "base/float16.h"
#include "pickle_builder.h"
#include "test_support.h"
#include "zip_builder.h"

namespace gramlite::interop {
namespace {

using testing::PickleBuilder;

// ---------------------------------------------------------------------------------------------
// Files made by hand (no Python needed): the exact bytes torch.save's zip container would hold.

std::string floats_bytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// {"w": 2x2 float32 over storage "0" (transposed view), "h": float16 [2] over storage "1"}.
std::string handmade_state_dict(const std::string& w_storage_class = "FloatStorage", uint8_t w_numel = 4,
                                const std::string& w_strides = std::string("\x01\x02", 2)) {
  PickleBuilder p;
  p.proto(2).global("collections", "OrderedDict").empty_tuple().reduce().mark();
  p.str("w").tensor(w_storage_class, "0", w_numel, 0, std::string("\x02\x02", 2), w_strides);
  p.str("h").tensor("HalfStorage", "1", 2, 0, std::string("\x02", 1), std::string("\x01", 1));
  p.setitems().stop();
  return p.finish();
}

std::string handmade_zip(const std::string& pickle, const std::string& storage0, const std::string& storage1) {
  const uint16_t half_values[] = {0x3C00, 0xC000};  // 1.0, -2.0
  const std::string half_bytes(reinterpret_cast<const char*>(half_values), sizeof(half_values));
  std::vector<testing::ZipBuildEntry> entries = {{"archive/data.pkl", pickle, 0},
                                                 {"archive/data/0", storage0, 0},
                                                 {"archive/data/1", storage1.empty() ? half_bytes : storage1, 0},
                                                 {"archive/version", "3\n", 0}};
  return testing::build_zip(entries);
}

Result<StateDict> read_bytes(const std::string& bytes, const StateDictReadOptions& options = {}) {
  return read_torch_state_dict_from_buffer(testing::to_buffer(bytes), "hand.pt", options);
}

TEST(TorchStateDictHandmade, ReadsStridedFloatAndHalfTensors) {
  Result<StateDict> state = read_bytes(handmade_zip(handmade_state_dict(), floats_bytes({1, 2, 3, 4}), ""));
  ASSERT_TRUE(state.ok()) << state.status().message();
  ASSERT_EQ(state->tensors.size(), 2u);
  const StateDictTensor* w = state->find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(w->data, (std::vector<float>{1, 3, 2, 4}));  // strides (1, 2): the transpose
  const StateDictTensor* h = state->find("h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, TorchDType::kFloat16);
  EXPECT_EQ(h->data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(state->container_format, "zip");
}

TEST(TorchStateDictHandmade, ErrorsNameTheTensorAndTheProblem) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  const std::string good_pickle = handmade_state_dict();
  std::vector<Case> cases = {
      // storage "0" shorter than the 4 elements the pickle promises
      {handmade_zip(good_pickle, floats_bytes({1, 2}), ""), "tensor 'w': storage '0' should hold 4"},
      // strides that reach past the storage
      {handmade_zip(handmade_state_dict("FloatStorage", 4, std::string("\x03\x01", 2)), floats_bytes({1, 2, 3, 4}), ""),
       "reach past the end of storage '0'"},
      {handmade_zip(handmade_state_dict("ComplexFloatStorage"), floats_bytes({1, 2, 3, 4}), ""),
       "unsupported storage type torch.ComplexFloatStorage"},
      {testing::build_zip({{"archive/data.pkl", good_pickle, 0}}), "its storage '0' is missing"},
      {testing::build_zip({{"archive/data.pkl", good_pickle, 0}, {"archive/code/__torch__.py", "", 0}}),
       "TorchScript"},
      {testing::build_zip({{"something/else.txt", "x", 0}}), "not a torch.save file"},
      {"GIF89a....", "not a torch.save file"},
      {"", "the file is empty"},
  };
  for (const Case& c : cases) {
    Result<StateDict> state = read_bytes(c.bytes);
    ASSERT_FALSE(state.ok()) << c.expected;
    EXPECT_NE(state.status().message().find(c.expected), std::string::npos)
        << "wanted '" << c.expected << "' in: " << state.status().message();
    EXPECT_NE(state.status().message().find("hand.pt"), std::string::npos) << state.status().message();
  }
}

TEST(TorchStateDictHandmade, ZeroStridesCannotExplodeMemory) {
  // A 1-element storage viewed as 255^3 elements through zero strides: more than the budget.
  PickleBuilder p;
  p.proto(2).empty_dict().str("w");
  p.tensor("FloatStorage", "0", 1, 0, std::string("\xff\xff\xff", 3), std::string("\x00\x00\x00", 3));
  p.setitem().stop();
  // 255^3 = 16.6M elements > 8 x file size + 1M: refused before allocating.
  Result<StateDict> state = read_bytes(handmade_zip(p.finish(), floats_bytes({1}), ""));
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("more elements than the file can plausibly hold"), std::string::npos)
      << state.status().message();
}

TEST(TorchDType, HalfAndBfloat16ConvertExactly) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);               // largest finite half
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_EQ(half_to_float(0x8000), 0.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_TRUE(std::isinf(half_to_float(0xFC00)) && half_to_float(0xFC00) < 0);
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xC040), -3.0f);
  EXPECT_EQ(dtype_of_storage_class("torch.HalfStorage"), TorchDType::kFloat16);
  EXPECT_FALSE(dtype_of_storage_class("torch.QInt8Storage"));
}

TEST(TorchStateDictHandmade, MissingFileIsNotFound) {
  Result<StateDict> state = read_torch_state_dict("/nonexistent/weights.pth");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kNotFound);
}

// A FIFO used to block; a directory said "cannot allocate 9223372036854775807 bytes" (ftell of a
// directory). Both, and /dev/zero, are refused with one line naming the path and what it is.
TEST(TorchStateDictHandmade, FifoDirectoryAndDevicesAreRefused) {
  testing::TempDir dir;
  const std::string fifo = dir.file("weights.pth");
  ASSERT_TRUE(gramlite::testing::make_fifo(fifo));
  Result<StateDict> state = internal_error("not run");
  ASSERT_TRUE(gramlite::testing::returns_within(fifo, [&] { state = read_torch_state_dict(fifo); }))
      << "read_torch_state_dict blocked on a FIFO";
  EXPECT_EQ(state.status().code(), StatusCode::kNotFound);  // exit 3, as a missing .pth
  EXPECT_NE(state.status().message().find("'" + fifo + "' is not a regular file (a FIFO)"), std::string::npos)
      << state.status().message();
  Result<StateDict> folder = read_torch_state_dict(dir.path());
  EXPECT_EQ(folder.status().code(), StatusCode::kNotFound);
  EXPECT_NE(folder.status().message().find("not a regular file (a directory)"), std::string::npos)
      << folder.status().message();
  Result<StateDict> zero = read_torch_state_dict("/dev/zero");
  EXPECT_NE(zero.status().message().find("not a regular file (a character device)"), std::string::npos)
      << zero.status().message();
}

// {'state_dict': 5}: a checkpoint whose wrapper key holds no dict is an unusable file (exit 4), not
// a missing one; so is a dict that holds no tensors at all.
TEST(TorchStateDictHandmade, WrapperKeyWithoutADictIsUnsupported) {
  PickleBuilder wrapped;
  wrapped.proto(2).empty_dict().str("state_dict").int1(5).setitem().stop();
  Result<StateDict> state =
      read_bytes(testing::build_zip({{"archive/data.pkl", wrapped.finish(), 0}, {"archive/version", "3\n", 0}}));
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kUnsupported) << state.status().message();
  EXPECT_NE(state.status().message().find("'state_dict'"), std::string::npos) << state.status().message();
  EXPECT_NE(state.status().message().find("hand.pt"), std::string::npos) << state.status().message();

  PickleBuilder plain;
  plain.proto(2).empty_dict().str("epoch").int1(5).setitem().stop();
  Result<StateDict> no_tensors =
      read_bytes(testing::build_zip({{"archive/data.pkl", plain.finish(), 0}, {"archive/version", "3\n", 0}}));
  ASSERT_FALSE(no_tensors.ok());
  EXPECT_EQ(no_tensors.status().code(), StatusCode::kUnsupported) << no_tensors.status().message();
  EXPECT_NE(no_tensors.status().message().find("without tensors"), std::string::npos) << no_tensors.status().message();
}

// Keys and values come from the file: a key with a newline must not split the error line.
TEST(TorchStateDictHandmade, KeysFromTheFileCannotSplitTheErrorLine) {
  PickleBuilder forged;
  forged.proto(2).empty_dict().str("w\ngramlite: error: forged\r").str("x\ny").setitem().stop();
  Result<StateDict> state =
      read_bytes(testing::build_zip({{"archive/data.pkl", forged.finish(), 0}, {"archive/version", "3\n", 0}}));
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().message().find_first_of("\n\r"), std::string::npos) << state.status().message();
}

// ---------------------------------------------------------------------------------------------
// Files written by torch.save itself (tests/oracle/make_state_dict_cases.py).

struct ExpectedTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

std::vector<ExpectedTensor> read_expected(const std::string& path) {
  std::vector<ExpectedTensor> tensors;
  std::istringstream lines(testing::read_text(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    ExpectedTensor tensor;
    size_t rank = 0;
    fields >> tensor.name >> tensor.dtype >> rank;
    tensor.shape.resize(rank);
    int64_t numel = 1;
    for (int64_t& dim : tensor.shape) {
      fields >> dim;
      numel *= dim;
    }
    tensor.values.resize(static_cast<size_t>(numel));
    for (double& value : tensor.values) fields >> value;
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

class TorchStateDictFiles : public ::testing::Test {
 protected:
  // CTest runs each test in its own process, so the cases are generated once per version of the
  // script into the build tree and shared: written to a private folder, then renamed into place
  // (atomic), so parallel tests never see a half-written set.
  static void SetUpTestSuite() {
    const std::string script = testing::oracle_script("make_state_dict_cases.py");
    const size_t version = std::hash<std::string>()(testing::read_text(script));
    const std::filesystem::path root = std::filesystem::path(GRAMLITE_BINARY_DIR) / "tests" / "interop";
    dir_ = (root / ("state_dict_cases_" + std::to_string(version))).string();
    if (std::filesystem::exists(std::filesystem::path(dir_) / "plain.expected")) {
      made_ = true;
      return;
    }
    testing::TempDir scratch;
    const int status = testing::run_python(testing::shell_quote(script) + " " + testing::shell_quote(scratch.file("cases")),
                                           scratch.file("log.txt"));
    unavailable_ = testing::means_python_unavailable(status);
    made_ = status == 0;
    if (!made_) {
      log_ = testing::read_text(scratch.file("log.txt"));
      return;
    }
    std::error_code error;
    std::filesystem::create_directories(root, error);
    std::filesystem::rename(scratch.file("cases"), dir_, error);  // fails harmlessly if another test won
    made_ = std::filesystem::exists(std::filesystem::path(dir_) / "plain.expected");
    if (!made_) log_ = "could not move the generated cases to " + dir_ + ": " + error.message();
  }

  void SetUp() override {
    if (unavailable_) GTEST_SKIP() << "/usr/bin/python3 cannot import torch: " << log_;
    ASSERT_TRUE(made_) << "make_state_dict_cases.py failed:\n" << log_;
  }

  static std::string path(const std::string& name) { return dir_ + "/" + name; }

  // Reads case `name` and checks every tensor against its .expected file, value for value.
  static StateDict check_case(const std::string& name) {
    Result<StateDict> state = read_torch_state_dict(path(name + ".pt"));
    EXPECT_TRUE(state.ok()) << name << ": " << state.status().message();
    if (!state.ok()) return StateDict();
    const std::vector<ExpectedTensor> expected = read_expected(path(name + ".expected"));
    EXPECT_EQ(state->tensors.size(), expected.size()) << name;
    for (size_t i = 0; i < expected.size() && i < state->tensors.size(); ++i) {
      const StateDictTensor& got = state->tensors[i];
      const ExpectedTensor& want = expected[i];
      EXPECT_EQ(got.name, want.name) << name;  // file order is kept
      EXPECT_EQ(torch_dtype_name(got.dtype), want.dtype) << name << " " << want.name;
      EXPECT_EQ(got.shape, want.shape) << name << " " << want.name;
      if (got.is_floating()) {
        EXPECT_EQ(got.data.size(), want.values.size()) << name << " " << want.name;
        if (got.data.size() != want.values.size()) continue;
        for (size_t k = 0; k < want.values.size(); ++k) {
          // Exact: float32 / float16 / bfloat16 values round-trip, float64 rounds to nearest like torch.
          EXPECT_EQ(got.data[k], static_cast<float>(want.values[k])) << name << " " << want.name << "[" << k << "]";
        }
      } else {
        EXPECT_EQ(got.int_data.size(), want.values.size()) << name << " " << want.name;
        if (got.int_data.size() != want.values.size()) continue;
        for (size_t k = 0; k < want.values.size(); ++k) {
          EXPECT_EQ(got.int_data[k], static_cast<int64_t>(want.values[k])) << name << " " << want.name;
        }
      }
    }
    return std::move(state).value();
  }

  static std::string dir_;
  static bool made_;
  static bool unavailable_;
  static std::string log_;
};

std::string TorchStateDictFiles::dir_;
bool TorchStateDictFiles::made_ = false;
bool TorchStateDictFiles::unavailable_ = false;
std::string TorchStateDictFiles::log_;

TEST_F(TorchStateDictFiles, ZipFormat) {
  StateDict state = check_case("plain");
  EXPECT_EQ(state.container_format, "zip");
  EXPECT_EQ(state.wrapper_key, "");
  EXPECT_FALSE(state.stripped_module_prefix);
  const StateDictTensor* counter = state.find("bn.num_batches_tracked");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->dtype, TorchDType::kInt64);
  EXPECT_FALSE(counter->is_floating());
  EXPECT_EQ(counter->int_data, std::vector<int64_t>{5});
}

TEST_F(TorchStateDictFiles, LegacyFormat) {
  StateDict state = check_case("legacy");
  EXPECT_EQ(state.container_format, "legacy");
}

TEST_F(TorchStateDictFiles, Float16) { check_case("float16"); }
TEST_F(TorchStateDictFiles, OtherDtypesAndScalars) {
  check_case("dtypes");
  check_case("dtypes_legacy");
}
TEST_F(TorchStateDictFiles, NonContiguousViews) {
  check_case("strided");
  check_case("strided_legacy");
}
TEST_F(TorchStateDictFiles, Parameters) { check_case("parameters"); }

TEST_F(TorchStateDictFiles, DataParallelPrefixIsStripped) {
  StateDict state = check_case("data_parallel");
  EXPECT_TRUE(state.stripped_module_prefix);
  StateDictReadOptions keep;
  keep.strip_module_prefix = false;
  Result<StateDict> raw = read_torch_state_dict(path("data_parallel.pt"), keep);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->tensors[0].name, "module.conv.weight");
}

TEST_F(TorchStateDictFiles, WrappedCheckpoints) {
  EXPECT_EQ(check_case("wrapped_state_dict").wrapper_key, "state_dict");
  EXPECT_EQ(check_case("wrapped_model").wrapper_key, "model");
}

TEST_F(TorchStateDictFiles, PickledModulesAreRefusedWithAdvice) {
  for (const char* name : {"module_object.pt", "wrapped_module_object.pt"}) {
    Result<StateDict> state = read_torch_state_dict(path(name));
    ASSERT_FALSE(state.ok()) << name;
    EXPECT_EQ(state.status().code(), StatusCode::kUnsupported) << state.status().message();
    EXPECT_NE(state.status().message().find("model.state_dict()"), std::string::npos) << state.status().message();
    EXPECT_NE(state.status().message().find("torch.nn.modules.linear.Linear"), std::string::npos)
        << state.status().message();
  }
}

TEST_F(TorchStateDictFiles, TruncatedFilesFailCleanly) {
  for (const char* name : {"plain.pt", "legacy.pt"}) {
    const std::string bytes = testing::read_text(path(name));
    ASSERT_GT(bytes.size(), 100u);
    for (size_t length = 0; length < bytes.size(); length += 1 + length / 16) {
      Result<StateDict> state = read_bytes(bytes.substr(0, length));
      EXPECT_FALSE(state.ok()) << name << " cut at " << length;
    }
  }
}

TEST_F(TorchStateDictFiles, CorruptTensorBytesFailTheCrcCheck) {
  std::string bytes = testing::read_text(path("plain.pt"));
  // The first storage (the 3x3x3x4 conv weight, 432 bytes) starts at most 4 + 63 bytes after its
  // name in the local header (PyTorch pads to 64-byte alignment): 200 bytes on is inside it.
  const size_t at = bytes.find("/data/0");
  ASSERT_NE(at, std::string::npos);
  const size_t data = at + 7 + 200;
  ASSERT_LT(data, bytes.size());
  bytes[data] = static_cast<char>(bytes[data] ^ 0x5A);
  Result<StateDict> state = read_bytes(bytes);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("CRC-32"), std::string::npos) << state.status().message();
}

}  // namespace
}  // namespace gramlite::interop
