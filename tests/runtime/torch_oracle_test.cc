// The reference kernels against PyTorch (torch.nn.functional), the oracle the design names.
//
// The test computes each case with gramlite's kernels, writes the inputs as raw float32 files
// plus a manifest into a temporary directory, runs tests/runtime/torch_oracle.py with the Python
// that has PyTorch (CMake cache GRAMLITE_TORCH_PYTHON, default /usr/bin/python3; environment
// variable GRAMLITE_TORCH_PYTHON overrides), and compares. It is skipped when torch cannot be
// imported.
//
// Tolerance: |gramlite - torch| <= 1e-4 + 1e-4 * |torch| for every element (float32 throughout;
// the two sides sum in different orders, and conv sums run up to a few hundred terms).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/reference/activation.h"
#include "runtime/reference/avg_pool.h"
#include "runtime/reference/batch_norm.h"
#include "runtime/reference/conv2d.h"
#include "runtime/reference/global_avg_pool.h"
#include "runtime/reference/linear.h"
#include "runtime/reference/max_pool.h"
#include "runtime/reference/pad.h"
#include "runtime/reference/softmax.h"
#include "test_util.h"

namespace gramlite::runtime::reference {
namespace {

using testing::all_close;
using testing::random_floats;

struct OracleCase {
  std::string name;
  std::string op;
  std::map<std::string, std::pair<ir::Shape, std::vector<float>>> tensors;  // role -> (shape, data)
  std::map<std::string, std::string> args;
  std::vector<float> ours;
};

std::string join(const std::vector<int64_t>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  return out.str();
}

std::string python() {
  const char* from_env = std::getenv("GRAMLITE_TORCH_PYTHON");
  return from_env != nullptr && *from_env != '\0' ? from_env : GRAMLITE_TORCH_PYTHON;
}

class TorchOracle {
 public:
  uint32_t seed = 1000;
  std::vector<OracleCase> cases;

  OracleCase& add(const std::string& name, const std::string& op) {
    cases.push_back({name, op, {}, {}, {}});
    return cases.back();
  }
  const std::vector<float>& tensor(OracleCase& c, const std::string& role, const ir::Shape& shape, float low = -1.0f,
                                   float high = 1.0f) {
    c.tensors[role] = {shape, random_floats(static_cast<size_t>(ir::element_count(shape)), seed++, low, high)};
    return c.tensors[role].second;
  }

  void conv(const std::string& name, ir::Shape x_shape, ir::Shape w_shape, bool bias, int32_t stride_h,
            int32_t stride_w, int32_t dilation, ir::Padding2d pad, int32_t groups) {
    OracleCase& c = add(name, "conv2d");
    const auto& x = tensor(c, "x", x_shape);
    const auto& w = tensor(c, "w", w_shape, -0.5f, 0.5f);
    const std::vector<float>* b = bias ? &tensor(c, "b", {w_shape[0]}) : nullptr;
    Conv2dParams p;
    p.batch = x_shape[0];
    p.in_channels = x_shape[1];
    p.in_h = x_shape[2];
    p.in_w = x_shape[3];
    p.out_channels = w_shape[0];
    p.attrs.kernel_h = static_cast<int32_t>(w_shape[2]);
    p.attrs.kernel_w = static_cast<int32_t>(w_shape[3]);
    p.attrs.stride_h = stride_h;
    p.attrs.stride_w = stride_w;
    p.attrs.dilation_h = p.attrs.dilation_w = dilation;
    p.attrs.padding = pad;
    p.attrs.groups = groups;
    p.out_h = conv2d_output_size(p.in_h, p.attrs.kernel_h, stride_h, dilation, pad.top, pad.bottom);
    p.out_w = conv2d_output_size(p.in_w, p.attrs.kernel_w, stride_w, dilation, pad.left, pad.right);
    c.ours.resize(static_cast<size_t>(p.batch * p.out_channels * p.out_h * p.out_w));
    conv2d_f32(p, x.data(), w.data(), b ? b->data() : nullptr, c.ours.data(), nullptr);
    c.args = {{"stride", join({stride_h, stride_w})},
              {"dilation", join({dilation, dilation})},
              {"groups", std::to_string(groups)},
              {"pads", join({pad.top, pad.left, pad.bottom, pad.right})}};
  }

  void pool(const std::string& name, bool max, ir::Shape x_shape, int32_t kernel, int32_t stride, int32_t pad,
            bool ceil_mode, bool count_include_pad = true) {
    OracleCase& c = add(name, max ? "max_pool2d" : "avg_pool2d");
    const auto& x = tensor(c, "x", x_shape);
    Pool2dParams p;
    p.batch = x_shape[0];
    p.channels = x_shape[1];
    p.in_h = x_shape[2];
    p.in_w = x_shape[3];
    p.attrs.kernel_h = p.attrs.kernel_w = kernel;
    p.attrs.stride_h = p.attrs.stride_w = stride;
    p.attrs.padding = {pad, pad, pad, pad};
    p.attrs.ceil_mode = ceil_mode;
    p.attrs.count_include_pad = count_include_pad;
    p.out_h = pool2d_output_size(p.in_h, kernel, stride, pad, pad, ceil_mode);
    p.out_w = pool2d_output_size(p.in_w, kernel, stride, pad, pad, ceil_mode);
    c.ours.resize(static_cast<size_t>(p.batch * p.channels * p.out_h * p.out_w));
    if (max) {
      max_pool2d_f32(p, x.data(), c.ours.data(), nullptr);
    } else {
      avg_pool2d_f32(p, x.data(), c.ours.data(), nullptr);
    }
    c.args = {{"kernel", join({kernel, kernel})},
              {"stride", join({stride, stride})},
              {"pads", join({pad, pad, pad, pad})},
              {"ceil_mode", ceil_mode ? "1" : "0"},
              {"count_include_pad", count_include_pad ? "1" : "0"}};
  }

  void activation(const std::string& op, ir::Activation a) {
    OracleCase& c = add(op, op);
    const auto& x = tensor(c, "x", {2, 13, 5, 5}, -8.0f, 8.0f);
    c.ours.resize(x.size());
    activation_f32(a, x.data(), c.ours.data(), x.size(), nullptr);
  }

  void softmax(const std::string& name, ir::Shape shape, int axis) {
    OracleCase& c = add(name, "softmax");
    const auto& x = tensor(c, "x", shape, -20.0f, 20.0f);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
    c.ours.resize(x.size());
    softmax_f32(x.data(), c.ours.data(), outer, shape[static_cast<size_t>(axis)], inner, nullptr);
    c.args = {{"axis", std::to_string(axis)}};
  }

  // Writes inputs and the manifest, runs the script; false (with a message) on failure.
  ::testing::AssertionResult run_torch(const std::filesystem::path& dir) {
    std::ofstream manifest(dir / "cases.txt");
    for (const OracleCase& c : cases) {
      manifest << c.name << " " << c.op;
      for (const auto& [role, tensor_data] : c.tensors) {
        std::ofstream file(dir / (c.name + "." + role + ".bin"), std::ios::binary);
        file.write(reinterpret_cast<const char*>(tensor_data.second.data()),
                   static_cast<std::streamsize>(tensor_data.second.size() * sizeof(float)));
        manifest << " " << role << "_shape=" << join(tensor_data.first);
      }
      for (const auto& [key, value] : c.args) manifest << " " << key << "=" << value;
      manifest << "\n";
    }
    manifest.close();
    const std::string command =
        python() + " " + GRAMLITE_TORCH_ORACLE_SCRIPT + " " + dir.string() + " 2>" + (dir / "stderr.txt").string();
    if (std::system(command.c_str()) != 0) {
      std::ifstream err(dir / "stderr.txt");
      std::stringstream text;
      text << err.rdbuf();
      return ::testing::AssertionFailure() << "torch_oracle.py failed: " << text.str();
    }
    return ::testing::AssertionSuccess();
  }
};

std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return {};
  const auto bytes = static_cast<size_t>(file.tellg());
  std::vector<float> values(bytes / sizeof(float));
  file.seekg(0);
  file.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  return values;
}

bool torch_available() {
  const std::string command = python() + " -c 'import torch, numpy' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

TEST(TorchOracle, ReferenceKernelsMatchPyTorch) {
  if (!torch_available()) GTEST_SKIP() << "PyTorch is not importable with " << python();

  TorchOracle oracle;
  // Convolutions: every algorithm, strides, dilation, groups, depthwise multipliers, asymmetric pads.
  oracle.conv("conv3x3", {2, 3, 11, 11}, {8, 3, 3, 3}, true, 1, 1, 1, {1, 1, 1, 1}, 1);
  oracle.conv("conv_tf_same_s2", {1, 13, 10, 9}, {24, 13, 3, 3}, false, 2, 2, 1, {0, 0, 1, 1}, 1);
  oracle.conv("conv_dilated", {1, 12, 12, 10}, {12, 12, 3, 3}, true, 1, 1, 2, {2, 2, 2, 2}, 1);
  oracle.conv("conv_groups3", {1, 12, 8, 8}, {24, 4, 3, 3}, true, 1, 1, 1, {1, 1, 1, 1}, 3);
  oracle.conv("conv_depthwise_s2", {2, 24, 9, 9}, {24, 1, 3, 3}, true, 2, 2, 1, {1, 1, 1, 1}, 24);
  oracle.conv("conv_depthwise_x2", {1, 12, 7, 7}, {24, 1, 5, 5}, false, 1, 2, 1, {2, 1, 1, 2}, 12);
  oracle.conv("conv_pointwise", {1, 24, 7, 7}, {13, 24, 1, 1}, true, 1, 1, 1, {0, 0, 0, 0}, 1);
  oracle.conv("conv_pointwise_big", {1, 96, 20, 20}, {67, 96, 1, 1}, true, 1, 1, 1, {0, 0, 0, 0}, 1);
  oracle.conv("conv_stem7x7", {1, 3, 32, 32}, {12, 3, 7, 7}, true, 2, 2, 1, {3, 3, 3, 3}, 1);
  oracle.conv("conv1x3", {1, 13, 6, 9}, {12, 13, 1, 3}, true, 1, 1, 1, {0, 1, 0, 1}, 1);
  // Pools: ceil_mode and count_include_pad both ways.
  oracle.pool("maxpool_p1", true, {1, 12, 13, 13}, 3, 2, 1, false);
  oracle.pool("maxpool_p1_ceil", true, {1, 12, 8, 8}, 3, 2, 1, true);
  oracle.pool("maxpool_ceil", true, {1, 13, 7, 7}, 2, 2, 0, true);
  oracle.pool("maxpool_ceil_drop", true, {1, 12, 5, 5}, 2, 2, 1, true);
  for (bool include : {true, false}) {
    const std::string suffix = include ? "_incl" : "_excl";
    oracle.pool("avgpool_p1_ceil" + suffix, false, {1, 12, 8, 8}, 3, 2, 1, true, include);
    oracle.pool("avgpool_s1" + suffix, false, {1, 13, 10, 11}, 3, 1, 1, false, include);
    oracle.pool("avgpool_ceil" + suffix, false, {1, 12, 7, 7}, 2, 2, 0, true, include);
    oracle.pool("avgpool_ceil_drop" + suffix, false, {1, 12, 5, 5}, 2, 2, 1, true, include);
  }
  {
    OracleCase& c = oracle.add("global_avg_pool", "global_avg_pool");
    const auto& x = oracle.tensor(c, "x", {2, 24, 7, 7});
    c.ours.resize(48);
    global_avg_pool_f32(x.data(), c.ours.data(), 48, 49, nullptr);
  }
  oracle.activation("hardswish", ir::Activation::kHardSwish);
  oracle.activation("hardsigmoid", ir::Activation::kHardSigmoid);
  oracle.activation("relu6", ir::Activation::kRelu6);
  oracle.activation("sigmoid", ir::Activation::kSigmoid);
  oracle.softmax("softmax_axis0", {2, 3, 4, 5}, 0);
  oracle.softmax("softmax_axis1", {2, 3, 4, 5}, 1);
  oracle.softmax("softmax_last", {2, 3, 4, 5}, 3);
  oracle.softmax("softmax_1000", {4, 1000}, 1);
  {
    OracleCase& c = oracle.add("batch_norm", "batch_norm");
    const auto& x = oracle.tensor(c, "x", {2, 13, 5, 5}, -2.0f, 2.0f);
    const auto& gamma = oracle.tensor(c, "gamma", {13}, 0.5f, 1.5f);
    const auto& beta = oracle.tensor(c, "beta", {13});
    const auto& mean = oracle.tensor(c, "mean", {13});
    const auto& var = oracle.tensor(c, "var", {13}, 0.1f, 2.0f);
    std::vector<float> scale(13), shift(13);
    batch_norm_scale_shift(gamma.data(), beta.data(), mean.data(), var.data(), 1e-3f, 13, scale.data(), shift.data());
    c.ours.resize(x.size());
    batch_norm_f32(x.data(), c.ours.data(), 2, 13, 25, scale.data(), shift.data(), ir::Activation::kNone, nullptr);
    c.args = {{"eps", "0.001"}};
  }
  {
    OracleCase& c = oracle.add("linear", "linear");
    const auto& x = oracle.tensor(c, "x", {3, 67});
    const auto& w = oracle.tensor(c, "w", {13, 67});
    const auto& b = oracle.tensor(c, "b", {13});
    c.ours.resize(39);
    linear_f32({3, 67, 13, ir::Activation::kNone}, x.data(), w.data(), b.data(), c.ours.data(), nullptr);
  }
  {
    OracleCase& c = oracle.add("pad", "pad");
    const auto& x = oracle.tensor(c, "x", {1, 3, 4, 5});
    const std::vector<int64_t> pads = {0, 1, 2, 0, 0, 0, 1, 3};
    const PadParams p = make_pad_params({1, 3, 4, 5}, pads, 0.5f).value();
    c.ours.resize(1 * 4 * 7 * 8);
    pad_f32(p, x.data(), c.ours.data(), nullptr);
    c.args = {{"onnx_pads", join(pads)}, {"value", "0.5"}};
  }

  char dir_template[] = "/tmp/gramlite_torch_oracle_XXXXXX";
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/gramlite_torch_oracle_XXXXXX";
  std::vector<char> writable(pattern.begin(), pattern.end());
  writable.push_back('\0');
  char* made = mkdtemp(writable.data());
  if (made == nullptr) made = mkdtemp(dir_template);
  ASSERT_NE(made, nullptr) << "cannot create a temporary directory";
  const std::filesystem::path dir(made);

  ASSERT_TRUE(oracle.run_torch(dir));
  for (const OracleCase& c : oracle.cases) {
    const std::vector<float> theirs = read_floats(dir / (c.name + ".out.bin"));
    EXPECT_TRUE(all_close(c.ours, theirs, 1e-4, 1e-4)) << c.name << " (" << c.op << ")";
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::cout << oracle.cases.size() << " cases compared with PyTorch\n";
}

}  // namespace
}  // namespace gramlite::runtime::reference
