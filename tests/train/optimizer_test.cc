// Our Adam and SGD against libtorch's own torch::optim (the C++ twins of PyTorch's optimizers):
// same parameters and gradients, several steps, identical values.
#include <gtest/gtest.h>

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "train/optimizer.h"
#include "gramlite/train/schedule.h"

namespace gramlite::train {
namespace {

std::vector<at::Tensor> random_parameters(uint64_t seed) {
  at::manual_seed(static_cast<int64_t>(seed));
  return {at::randn({8, 3, 3, 3}), at::randn({8}), at::randn({5, 8})};
}

void compare_with_torch(const OptimizerOptions& ours_options, std::unique_ptr<torch::optim::Optimizer> (*make_theirs)(
                                                                 std::vector<at::Tensor>, double lr)) {
  const double lrs[] = {1e-2, 5e-3, 1e-3, 1e-3, 2e-4, 1e-4};
  std::vector<at::Tensor> ours = random_parameters(7);
  std::vector<at::Tensor> theirs;
  for (const at::Tensor& p : ours) theirs.push_back(p.clone());
  for (auto& p : ours) p.set_requires_grad(true);
  for (auto& p : theirs) p.set_requires_grad(true);
  Optimizer optimizer(ours, {"w", "b", "fc"}, ours_options);
  auto reference = make_theirs(theirs, lrs[0]);
  for (int step = 0; step < 6; ++step) {
    at::manual_seed(100 + step);
    for (size_t i = 0; i < ours.size(); ++i) {
      const at::Tensor grad = at::randn(ours[i].sizes());
      ours[i].mutable_grad() = grad.clone();
      theirs[i].mutable_grad() = grad.clone();
    }
    for (auto& group : reference->param_groups()) group.options().set_lr(lrs[step]);
    optimizer.step(lrs[step]);
    reference->step();
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_TRUE(at::equal(ours[i].detach(), theirs[i].detach())) << "parameter " << i << " max diff "
                                                                  << (ours[i] - theirs[i]).abs().max().item<double>();
  }
  EXPECT_EQ(optimizer.steps(), 6);
}

TEST(Optimizer, AdamMatchesTorchOptimAdam) {
  OptimizerOptions options;
  options.kind = OptimizerKind::kAdam;
  options.weight_decay = 1e-2;
  compare_with_torch(options, [](std::vector<at::Tensor> params, double lr) -> std::unique_ptr<torch::optim::Optimizer> {
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(lr).weight_decay(1e-2));
  });
}

TEST(Optimizer, SgdWithMomentumMatchesTorchOptimSgd) {
  OptimizerOptions options;
  options.kind = OptimizerKind::kSgd;
  options.momentum = 0.9;
  options.weight_decay = 1e-3;
  compare_with_torch(options, [](std::vector<at::Tensor> params, double lr) -> std::unique_ptr<torch::optim::Optimizer> {
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr).momentum(0.9).weight_decay(1e-3));
  });
  options.nesterov = true;
  compare_with_torch(options, [](std::vector<at::Tensor> params, double lr) -> std::unique_ptr<torch::optim::Optimizer> {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(lr).momentum(0.9).weight_decay(1e-3).nesterov(true));
  });
}

TEST(Optimizer, StateRoundTripsAndContinuesIdentically) {
  OptimizerOptions options;
  std::vector<at::Tensor> a = random_parameters(3);
  for (auto& p : a) p.set_requires_grad(true);
  std::vector<at::Tensor> b;
  for (const auto& p : a) b.push_back(p.detach().clone().set_requires_grad(true));
  Optimizer first(a, {"w", "b", "fc"}, options);
  const auto set_grads = [](std::vector<at::Tensor>& params, int seed) {
    at::manual_seed(seed);
    for (auto& p : params) p.mutable_grad() = at::randn(p.sizes());
  };
  set_grads(a, 1);
  first.step(1e-3);
  // A second optimizer over copies of the parameters takes over the first one's state.
  for (size_t i = 0; i < a.size(); ++i) b[i].detach().copy_(a[i].detach());
  Optimizer second(b, {"w", "b", "fc"}, options);
  second.load_state(first.steps(), first.state());
  set_grads(a, 2);
  set_grads(b, 2);
  first.step(1e-3);
  second.step(1e-3);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i].detach(), b[i].detach())) << i;
  // Unknown parameters and wrong shapes are refused.
  std::vector<OptimizerStateEntry> bad = first.state();
  bad[0].parameter = "nope";
  EXPECT_THROW(second.load_state(1, bad), std::invalid_argument);
  bad = first.state();
  bad[0].value = at::zeros({1});
  EXPECT_THROW(second.load_state(1, bad), std::invalid_argument);
}

TEST(Schedule, MatchesPyTorchSchedulers) {
  ScheduleOptions cosine{ScheduleKind::kCosine, 10, 0, 0.1};
  EXPECT_DOUBLE_EQ(learning_rate_at(1e-3, cosine, 0), 1e-3);
  EXPECT_NEAR(learning_rate_at(1e-3, cosine, 5), 0.5e-3, 1e-15);
  EXPECT_NEAR(learning_rate_at(1e-3, cosine, 9), 1e-3 * (1 + std::cos(M_PI * 0.9)) / 2, 1e-15);
  ScheduleOptions step{ScheduleKind::kStep, 9, 0, 0.1};  // step size 9 / 3 = 3
  EXPECT_DOUBLE_EQ(learning_rate_at(1.0, step, 2), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate_at(1.0, step, 3), 0.1);
  EXPECT_NEAR(learning_rate_at(1.0, step, 8), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(learning_rate_at(0.5, ScheduleOptions{ScheduleKind::kNone, 3, 0, 0.1}, 2), 0.5);
  EXPECT_EQ(parse_schedule_kind("cosine"), ScheduleKind::kCosine);
  EXPECT_FALSE(parse_schedule_kind("linear").has_value());
}

}  // namespace
}  // namespace gramlite::train
