// torchvision is the oracle for the torchvision-layout builders: at test time a Python script
// (torchvision_oracle.py) instantiates the real models, without weights or network, and dumps every
// state_dict key with its shape and the output shape of every module. The zoo's graph must hold
// exactly those parameters, with those shapes, and produce the same activation shapes under the
// same names. Skips when /usr/bin/python3 (or $GRAMLITE_PYTHON) cannot import torchvision.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gramlite/ir/stats.h"
#include "gramlite/ir/validate.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::zoo {
namespace {

struct OracleParam {
  bool trainable = false;
  ir::Shape shape;
};

struct OracleModel {
  std::map<std::string, OracleParam> params;
  std::map<std::string, ir::Shape> outputs;
};

struct OracleRun {
  bool skipped = false;
  std::string skip_reason;
  std::string error;
  std::map<std::string, OracleModel> models;  // by config string
};

std::string python_path() {
  const char* env = std::getenv("GRAMLITE_PYTHON");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/python3";
}

OracleRun run_oracle(const std::vector<std::string>& configs) {
  OracleRun run;
  const std::string python = python_path();
  if (FILE* probe = std::fopen(python.c_str(), "r")) {
    std::fclose(probe);
  } else {
    run.skipped = true;
    run.skip_reason = python + " not found";
    return run;
  }
  std::string command = "'" + python + "' '" GRAMLITE_SOURCE_DIR "/tests/zoo/torchvision_oracle.py'";
  for (const auto& c : configs) command += " " + c;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    run.error = "cannot run " + command;
    return run;
  }
  std::string text;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  const int status = pclose(pipe);

  std::istringstream lines(text);
  std::string line;
  OracleModel* current = nullptr;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "skip") {
      run.skipped = true;
      run.skip_reason = line.substr(5);
    } else if (kind == "config") {
      std::string config;
      in >> config;
      current = &run.models[config];
    } else if (kind == "param" && current != nullptr) {
      std::string name;
      int trainable = 0;
      in >> name >> trainable;
      OracleParam p;
      p.trainable = trainable != 0;
      for (int64_t d = 0; in >> d;) p.shape.push_back(d);
      current->params[name] = p;
    } else if (kind == "output" && current != nullptr) {
      std::string name;
      in >> name;
      ir::Shape shape;
      for (int64_t d = 0; in >> d;) shape.push_back(d);
      current->outputs[name] = shape;
    }
  }
  if (!run.skipped && (status != 0 || run.models.size() != configs.size())) {
    run.error = "oracle failed (status " + std::to_string(status) + "): " + command + "\n" + text;
  }
  return run;
}

// "arch:classes:width:size" -> the zoo graph built the same way.
ir::Graph build_config(const std::string& config) {
  std::istringstream in(config);
  std::string arch, classes, width, size;
  std::getline(in, arch, ':');
  std::getline(in, classes, ':');
  std::getline(in, width, ':');
  std::getline(in, size, ':');
  BuildOptions options;
  options.num_classes = std::stoi(classes);
  options.alpha = std::stod(width);
  options.input_size = std::stoi(size);
  options.random_weights = false;
  auto graph = build(arch, options);
  EXPECT_TRUE(graph.ok()) << config << ": " << graph.status().message();
  return graph.ok() ? std::move(graph).value() : ir::Graph{};
}

void compare_with_oracle(const std::string& config, const OracleModel& oracle) {
  SCOPED_TRACE(config);
  const ir::Graph graph = build_config(config);
  ASSERT_FALSE(graph.tensors.empty());
  EXPECT_TRUE(ir::validate(graph).ok()) << ir::validate(graph).message();

  // Parameters: the same names, in both directions, with the same shapes.
  std::map<std::string, ir::Shape> ours;
  for (const ir::Tensor& t : graph.tensors) {
    if (t.is_constant()) ours[t.name] = t.shape;
  }
  int reported = 0;
  int64_t trainable = 0;
  int64_t buffers = 0;
  for (const auto& [name, param] : oracle.params) {
    (param.trainable ? trainable : buffers) += ir::element_count(param.shape);
    const auto it = ours.find(name);
    if (it == ours.end()) {
      ADD_FAILURE() << "torchvision has '" << name << "' " << ir::shape_to_string(param.shape)
                    << ", the zoo graph does not";
    } else if (it->second != param.shape) {
      ADD_FAILURE() << "'" << name << "': torchvision " << ir::shape_to_string(param.shape) << ", zoo "
                    << ir::shape_to_string(it->second);
    } else {
      continue;
    }
    if (++reported > 10) return;
  }
  for (const auto& [name, shape] : ours) {
    if (oracle.params.count(name) == 0) {
      ADD_FAILURE() << "the zoo graph has '" << name << "' " << ir::shape_to_string(shape) << ", torchvision does not";
      if (++reported > 10) return;
    }
  }
  const ir::ParameterCount count = ir::count_parameters(graph);
  EXPECT_EQ(count.trainable, trainable);
  EXPECT_EQ(count.non_trainable, buffers);

  // Activations: every module torchvision runs once has a node of the same name with the same
  // output shape (batch 1 there, dynamic here).
  ASSERT_FALSE(oracle.outputs.empty());
  for (const auto& [module, shape] : oracle.outputs) {
    const auto id = graph.find_tensor(module);
    if (!id) {
      ADD_FAILURE() << "torchvision module '" << module << "' has no node of that name in the zoo graph";
    } else {
      ir::Shape expected = shape;
      expected[0] = ir::kDynamicDim;
      if (graph.tensor(*id).shape == expected) continue;
      ADD_FAILURE() << "'" << module << "': torchvision output " << ir::shape_to_string(shape) << ", zoo "
                    << ir::shape_to_string(graph.tensor(*id).shape);
    }
    if (++reported > 10) return;
  }
}

void check_configs(const std::vector<std::string>& configs) {
  const OracleRun run = run_oracle(configs);
  if (run.skipped) GTEST_SKIP() << "torchvision oracle unavailable: " << run.skip_reason;
  ASSERT_TRUE(run.error.empty()) << run.error;
  for (const auto& config : configs) compare_with_oracle(config, run.models.at(config));
}

TEST(TorchvisionOracle, MobileNetV2) {
  check_configs({"mobilenet_v2:1000:1.0:224", "mobilenet_v2:1000:0.5:96", "mobilenet_v2:2:0.75:128",
                 "mobilenet_v2:10:1.4:224", "mobilenet_v2:5:0.35:160", "mobilenet_v2:3:1.3:97"});
}

TEST(TorchvisionOracle, MobileNetV3Small) {
  check_configs({"mobilenet_v3_small:1000:1.0:224", "mobilenet_v3_small:2:0.75:128", "mobilenet_v3_small:7:0.5:96",
                 "mobilenet_v3_small:4:1.25:113"});
}

TEST(TorchvisionOracle, ResNet50) {
  check_configs({"resnet50:1000:1.0:224", "resnet50:2:1.0:96", "resnet50:5:1.0:129"});
}

TEST(TorchvisionOracle, InceptionV3) {
  check_configs({"inception_v3:1000:1.0:299", "inception_v3:2:1.0:160", "inception_v3:3:1.0:75"});
}

}  // namespace
}  // namespace gramlite::zoo
