// Training throughput of gramlite's libtorch path: images per second of one training step (TorchGraph
// forward, cross-entropy, zero_grad, backward, Adam step: the body of Trainer::run_epoch) on a zoo
// model, with in-memory random input so that image decoding is excluded. bench/torch_train_peer.py
// is the PyTorch side with the same settings and output; bench/compare_training_with_pytorch.sh
// runs both.
//
//   train_throughput_bench [--arch mobilenet_v2] [--alpha 1.0] [--classes 2] [--input-size 224]
//                          [--batch 32] [--threads 1] [--warmup 3] [--steps 5] [--repeats 5]
//                          [--phases]
//
// Prints one JSON object: images/s of each repeat (`steps` timed steps) and their median. With
// --phases it also prints the median milliseconds per step of forward, loss, backward and
// optimizer step, each timed on its own, to show where the time goes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include "train/optimizer.h"
#include "train/torch_graph.h"
#include "train/torch_graph_internal.h"
#include "gramlite/zoo/zoo.h"

namespace {

using Clock = std::chrono::steady_clock;
using gramlite::train::TorchGraph;

struct Options {
  std::string arch = "mobilenet_v2";
  double alpha = 1.0;
  int classes = 2;
  int input_size = 224;
  int batch = 32;
  int threads = 1;
  int warmup = 3;
  int steps = 5;
  int repeats = 5;
  bool phases = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr, "train_throughput_bench: %s\n", message);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--phases") {
      o.phases = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
    const char* value = argv[++i];
    if (flag == "--arch") o.arch = value;
    else if (flag == "--alpha") o.alpha = std::atof(value);
    else if (flag == "--classes") o.classes = std::atoi(value);
    else if (flag == "--input-size") o.input_size = std::atoi(value);
    else if (flag == "--batch") o.batch = std::atoi(value);
    else if (flag == "--threads") o.threads = std::atoi(value);
    else if (flag == "--warmup") o.warmup = std::atoi(value);
    else if (flag == "--steps") o.steps = std::atoi(value);
    else if (flag == "--repeats") o.repeats = std::atoi(value);
    else usage(("unknown flag " + flag).c_str());
  }
  if (o.batch < 1 || o.steps < 1 || o.repeats < 1 || o.warmup < 0 || o.threads < 1 || o.classes < 2) {
    usage("batch, steps, repeats and threads must be >= 1, warmup >= 0, classes >= 2");
  }
  return o;
}

// One training step as Trainer::run_epoch does it (minus the data loader and the accuracy count).
double train_step(TorchGraph& graph, gramlite::train::Optimizer& optimizer, const at::Tensor& x, const at::Tensor& y,
                  double learning_rate) {
  const at::Tensor logits = gramlite::train::internal::forward(graph, {x})[0].reshape({x.size(0), -1});
  const at::Tensor loss = at::cross_entropy_loss(logits, y);
  const double loss_value = loss.item<double>();
  optimizer.zero_grad();
  loss.backward();
  optimizer.step(learning_rate);
  return loss_value;
}

// Median milliseconds per step of each phase, each phase timed on its own.
void print_phases(TorchGraph& graph, gramlite::train::Optimizer& optimizer, const at::Tensor& x, const at::Tensor& y,
                  int steps) {
  std::vector<double> forward_ms, loss_ms, backward_ms, step_ms;
  for (int s = 0; s < steps; ++s) {
    Clock::time_point t = Clock::now();
    const at::Tensor logits = gramlite::train::internal::forward(graph, {x})[0].reshape({x.size(0), -1});
    forward_ms.push_back(milliseconds_since(t));
    t = Clock::now();
    const at::Tensor loss = at::cross_entropy_loss(logits, y);
    (void)loss.item<double>();
    loss_ms.push_back(milliseconds_since(t));
    optimizer.zero_grad();
    t = Clock::now();
    loss.backward();
    backward_ms.push_back(milliseconds_since(t));
    t = Clock::now();
    optimizer.step(1e-3);
    step_ms.push_back(milliseconds_since(t));
  }
  std::printf("{\"phases_ms\": {\"forward\": %.2f, \"loss\": %.2f, \"backward\": %.2f, \"optimizer_step\": %.2f}}\n",
              median(forward_ms), median(loss_ms), median(backward_ms), median(step_ms));
}

int run(const Options& o) {
  gramlite::zoo::BuildOptions build;
  build.num_classes = o.classes;
  build.alpha = o.alpha;
  build.input_size = o.input_size;
  build.seed = 0;
  build.include_softmax = false;  // the trainer trains on logits
  gramlite::Result<gramlite::ir::Graph> model = gramlite::zoo::build(o.arch, build);
  if (!model.ok()) usage(model.status().message().c_str());

  gramlite::train::TorchGraphOptions torch_options;
  torch_options.threads = o.threads;
  torch_options.seed = 0;
  gramlite::Result<std::unique_ptr<TorchGraph>> created = TorchGraph::create(*model, torch_options);
  if (!created.ok()) usage(created.status().message().c_str());
  TorchGraph& graph = **created;
  graph.set_training(true);

  std::vector<at::Tensor> parameters;
  std::vector<std::string> names;
  for (const TorchGraph::Impl::Constant& c : graph.impl().constants) {
    if (c.trainable && c.value.requires_grad()) {
      parameters.push_back(c.value);
      names.push_back(c.tensor);
    }
  }
  gramlite::train::OptimizerOptions optimizer_options;  // Adam, PyTorch's defaults
  gramlite::train::Optimizer optimizer(std::move(parameters), std::move(names), optimizer_options);

  at::manual_seed(0);
  const at::Tensor x = at::rand({o.batch, 3, o.input_size, o.input_size}) * 2 - 1;
  const at::Tensor y = at::randint(o.classes, {o.batch}, at::kLong);
  constexpr double kLearningRate = 1e-3;

  for (int s = 0; s < o.warmup; ++s) train_step(graph, optimizer, x, y, kLearningRate);
  std::vector<double> rates;
  for (int r = 0; r < o.repeats; ++r) {
    const Clock::time_point start = Clock::now();
    for (int s = 0; s < o.steps; ++s) train_step(graph, optimizer, x, y, kLearningRate);
    rates.push_back(o.batch * o.steps / (milliseconds_since(start) / 1000.0));
  }
  std::string rate_list;
  for (double rate : rates) rate_list += (rate_list.empty() ? "" : ", ") + std::to_string(rate);
  std::printf("{\"peer\": \"gramlite\", \"arch\": \"%s\", \"alpha\": %g, \"classes\": %d, \"input_size\": %d, "
              "\"batch\": %d, \"threads\": %d, \"torch_threads\": %d, \"steps\": %d, \"images_per_s\": [%s], "
              "\"median_images_per_s\": %.3f}\n",
              o.arch.c_str(), o.alpha, o.classes, o.input_size, o.batch, o.threads, at::get_num_threads(), o.steps,
              rate_list.c_str(), median(rates));
  if (o.phases) print_phases(graph, optimizer, x, y, o.steps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    return run(options);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "train_throughput_bench: libtorch: %s\n", e.what_without_backtrace());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_throughput_bench: %s\n", e.what());
  }
  return 1;
}
