// The portable backend against the reference backend (the oracle), ncnn style: every op over a
// matrix of shapes, run through whole sessions so the kernels are created, reshaped and run as in
// production. Channel counts 1, 3, 8, 13, 24 hit vector tails; strides 1 and 2; symmetric and
// asymmetric padding; dilation; groups including depthwise; kernels 1, 3, 5; batch 1 and 3.
// Ops the portable backend has no kernel for run on the reference in both sessions (then the
// comparison is exact); they stay in the sweep so a portable kernel added later is checked.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "runtime/reference/conv2d.h"
#include "gramlite/runtime/session.h"
#include "test_util.h"

namespace gramlite::runtime {
namespace {

using testing::add_random_constant;
using testing::all_close;
using testing::make_test_node;
using testing::random_floats;
using reference::conv2d_output_size;

struct Comparison {
  std::string portable_kernel;  // the kernel the portable session chose for the last node
};

// Runs `graph` at `batch` with {"portable"} and with {"reference"} and compares the outputs.
// `tolerance_terms`: the longest sum a kernel computes (scales the absolute tolerance).
Comparison compare(const std::shared_ptr<ir::Graph>& graph, int64_t batch, double tolerance_terms, uint32_t seed,
                   ThreadPool* pool = nullptr) {
  Comparison result;
  std::vector<std::vector<float>> outputs[2];
  const char* names[2] = {"portable", "reference"};
  for (int which = 0; which < 2; ++which) {
    SessionOptions options;
    options.pool = pool;
    options.optimize = false;
    options.backends = {names[which]};
    auto session = Session::create(graph, options);
    EXPECT_TRUE(session.ok()) << session.status().message();
    if (!session.ok()) return result;
    const Status status = session.value()->reshape(batch);
    EXPECT_TRUE(status.ok()) << status.message();
    if (!status.ok()) return result;
    std::vector<std::vector<float>> inputs;
    for (size_t i = 0; i < session.value()->input_count(); ++i) {
      inputs.push_back(random_floats(element_count_of(session.value()->input_shapes()[i]), seed + 31 * i));
    }
    auto out = session.value()->run(inputs);
    EXPECT_TRUE(out.ok()) << out.status().message();
    if (!out.ok()) return result;
    outputs[which] = std::move(out).value();
    if (which == 0) result.portable_kernel = session.value()->node_plans().back().kernel;
  }
  EXPECT_EQ(outputs[0].size(), outputs[1].size());
  for (size_t i = 0; i < outputs[0].size() && i < outputs[1].size(); ++i) {
    EXPECT_TRUE(all_close(outputs[0][i], outputs[1][i], 2e-6 * tolerance_terms + 1e-6, 1e-5)) << "output " << i;
  }
  return result;
}

std::shared_ptr<ir::Graph> single_node(ir::OpKind kind, const ir::Shape& input, ir::Attributes attrs,
                                       std::vector<ir::TensorId> (*extra)(ir::Graph&) = nullptr,
                                       ir::Activation activation = ir::Activation::kNone) {
  auto g = std::make_shared<ir::Graph>();
  ir::Shape dynamic = input;
  dynamic[0] = ir::kDynamicDim;
  const ir::TensorId x = g->add_value("x", dynamic);
  g->inputs = {x};
  std::vector<ir::TensorId> inputs = {x};
  if (extra != nullptr) {
    for (ir::TensorId id : extra(*g)) inputs.push_back(id);
  }
  const ir::TensorId y = g->add_value("y");
  ir::Node node = make_test_node("op", kind, inputs, y, std::move(attrs));
  node.fused_activation = activation;
  g->add_node(std::move(node));
  g->outputs = {y};
  return g;
}

TEST(PortableVsReference, Conv2dSweep) {
  ThreadPool three(3);
  const int32_t channel_counts[] = {1, 3, 8, 13, 24};
  const ir::Padding2d paddings[] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {2, 1, 0, 3}};
  uint32_t seed = 1000;
  int cases = 0;
  std::set<std::string> kernels;
  for (int32_t c : channel_counts) {
    for (int32_t k : {1, 3, 5}) {
      for (int32_t stride : {1, 2}) {
        for (const ir::Padding2d& pad : paddings) {
          for (int32_t dilation : {1, 2}) {
            if (dilation == 2 && k != 3) continue;
            // groups: 1 (out 13 or 24), depthwise (multiplier 1 and 2), and c/... when c splits.
            struct Grouping {
              int32_t groups, out;
            };
            std::vector<Grouping> groupings = {{1, c == 24 ? 13 : 24}, {c, c}, {c, 2 * c}};
            if (c % 3 == 0 && c > 3) groupings.push_back({3, 24});
            for (const Grouping& grouping : groupings) {
              const int64_t batch = (cases % 2 == 0) ? 1 : 3;
              const int64_t h = 9, w = 7;
              ir::Conv2dAttrs a;
              a.kernel_h = a.kernel_w = k;
              a.stride_h = a.stride_w = stride;
              a.dilation_h = a.dilation_w = dilation;
              a.padding = pad;
              a.groups = grouping.groups;
              auto g = std::make_shared<ir::Graph>();
              const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, c, h, w});
              g->inputs = {x};
              const ir::TensorId weight =
                  add_random_constant(*g, "w", {grouping.out, c / grouping.groups, k, k}, seed++);
              const bool bias = cases % 3 != 0;
              std::vector<ir::TensorId> inputs = {x, weight};
              if (bias) inputs.push_back(add_random_constant(*g, "b", {grouping.out}, seed++));
              const ir::TensorId y = g->add_value("y");
              ir::Node node = make_test_node("conv", ir::OpKind::kConv2d, inputs, y, a);
              node.fused_activation = cases % 4 == 1 ? ir::Activation::kRelu6 : ir::Activation::kNone;
              g->add_node(std::move(node));
              g->outputs = {y};
              if (conv2d_output_size(h, k, stride, dilation, pad.top, pad.bottom) <= 0 ||
                  conv2d_output_size(w, k, stride, dilation, pad.left, pad.right) <= 0) {
                continue;
              }
              SCOPED_TRACE(::testing::Message() << "N" << batch << " C" << c << " O" << grouping.out << " k" << k
                                                << " s" << stride << " d" << dilation << " pad " << pad.top << ","
                                                << pad.left << "," << pad.bottom << "," << pad.right << " g"
                                                << grouping.groups);
              const double terms = static_cast<double>(c / grouping.groups * k * k);
              const Comparison result = compare(g, batch, terms, seed++, cases % 5 == 0 ? &three : nullptr);
              kernels.insert(result.portable_kernel);
              ++cases;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 300);
  // Every portable algorithm was exercised.
  for (const char* name : {"conv2d_f32_depthwise_direct", "conv2d_f32_pointwise_gemm", "conv2d_f32_im2col_gemm"}) {
    EXPECT_EQ(kernels.count(name), 1u) << name;
  }
}

TEST(PortableVsReference, Linear) {
  uint32_t seed = 2000;
  for (int64_t in : {1, 3, 8, 13, 24, 130}) {
    for (int64_t out : {1, 3, 13, 24}) {
      for (int64_t batch : {1, 3}) {
        auto g = std::make_shared<ir::Graph>();
        const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, in});
        g->inputs = {x};
        const ir::TensorId w = add_random_constant(*g, "w", {out, in}, seed++);
        const ir::TensorId b = add_random_constant(*g, "b", {out}, seed++);
        const ir::TensorId y = g->add_value("y");
        ir::Node node = make_test_node("fc", ir::OpKind::kLinear, {x, w, b}, y);
        node.fused_activation = in % 2 == 0 ? ir::Activation::kHardSwish : ir::Activation::kNone;
        g->add_node(std::move(node));
        g->outputs = {y};
        SCOPED_TRACE(::testing::Message() << batch << "x" << in << " -> " << out);
        EXPECT_EQ(compare(g, batch, static_cast<double>(in), seed++).portable_kernel, "linear_f32_gemm");
      }
    }
  }
}

TEST(PortableVsReference, Pools) {
  uint32_t seed = 3000;
  for (ir::OpKind kind : {ir::OpKind::kMaxPool, ir::OpKind::kAvgPool}) {
    for (int64_t c : {1, 3, 13, 24}) {
      for (int32_t k : {1, 2, 3}) {
        for (int32_t stride : {1, 2}) {
          for (const ir::Padding2d& pad : {ir::Padding2d{}, ir::Padding2d{0, 0, 1, 1}, ir::Padding2d{1, 1, 1, 1}}) {
            if (pad.top >= k || pad.bottom >= k) continue;
            for (bool include_pad : {true, false}) {
              ir::Pool2dAttrs a;
              a.kernel_h = a.kernel_w = k;
              a.stride_h = a.stride_w = stride;
              a.padding = pad;
              a.count_include_pad = include_pad;
              const int64_t batch = c % 2 == 0 ? 3 : 1;
              SCOPED_TRACE(::testing::Message() << ir::op_kind_name(kind) << " C" << c << " k" << k << " s" << stride);
              compare(single_node(kind, {batch, c, 8, 7}, a), batch, k * k, seed++);
            }
          }
        }
      }
    }
    compare(single_node(ir::OpKind::kGlobalAvgPool, {3, 13, 5, 6}, {}), 3, 30, seed++);
  }
}

TEST(PortableVsReference, Elementwise) {
  uint32_t seed = 4000;
  // Second operand as a constant of each broadcast shape against x [N, C, H, W].
  const std::vector<ir::Shape> second = {{1, 13, 4, 5}, {1, 13, 1, 1}, {13, 1, 1}, {5}, {1, 1, 4, 1}, {1}};
  for (ir::OpKind kind : {ir::OpKind::kAdd, ir::OpKind::kMul}) {
    for (const ir::Shape& shape : second) {
      for (int64_t batch : {1, 3}) {
        for (ir::Activation act : {ir::Activation::kNone, ir::Activation::kRelu}) {
          auto g = std::make_shared<ir::Graph>();
          const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 13, 4, 5});
          g->inputs = {x};
          const ir::TensorId other = add_random_constant(*g, "other", shape, seed++);
          const ir::TensorId y = g->add_value("y");
          ir::Node node = make_test_node("op", kind, {x, other}, y);
          node.fused_activation = kind == ir::OpKind::kAdd ? act : ir::Activation::kNone;
          g->add_node(std::move(node));
          g->outputs = {y};
          SCOPED_TRACE(::testing::Message() << ir::op_kind_name(kind) << " with " << ir::shape_to_string(shape));
          EXPECT_EQ(compare(g, batch, 1, seed++).portable_kernel,
                    std::string(kind == ir::OpKind::kAdd ? "add" : "mul") + "_f32_broadcast_plans");
        }
      }
    }
    // Two activations of the same shape (a residual add).
    auto g = std::make_shared<ir::Graph>();
    const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 24, 3, 3});
    g->inputs = {x};
    const ir::TensorId r = g->add_value("r"), y = g->add_value("y");
    g->add_node(make_test_node("relu", ir::OpKind::kRelu, {x}, r));
    g->add_node(make_test_node("op", kind, {x, r}, y));
    g->outputs = {y};
    compare(g, 3, 1, seed++);
  }
  for (ir::OpKind kind : {ir::OpKind::kRelu, ir::OpKind::kRelu6, ir::OpKind::kHardSwish, ir::OpKind::kHardSigmoid,
                          ir::OpKind::kSigmoid}) {
    compare(single_node(kind, {3, 13, 4, 5}, {}), 3, 1, seed++);
  }
}

TEST(PortableVsReference, ConcatPadSoftmax) {
  uint32_t seed = 5000;
  for (int32_t axis : {1, 2, 3, -1}) {
    auto g = std::make_shared<ir::Graph>();
    const ir::TensorId x = g->add_value("x", {ir::kDynamicDim, 3, 4, 5});
    g->inputs = {x};
    const ir::TensorId r = g->add_value("r"), y = g->add_value("y");
    g->add_node(make_test_node("relu", ir::OpKind::kRelu, {x}, r));
    ir::ConcatAttrs a;
    a.axis = axis;
    g->add_node(make_test_node("concat", ir::OpKind::kConcat, {x, r, x}, y, a));
    g->outputs = {y};
    for (int64_t batch : {1, 3}) compare(g, batch, 1, seed++);
  }
  for (const std::vector<int64_t>& pads :
       {std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}, std::vector<int64_t>{0, 0, 0, 1, 0, 0, 2, 0},
        std::vector<int64_t>{0, 1, 2, 3, 0, 2, 1, 0}}) {
    ir::PadAttrs a;
    a.pads = pads;
    a.value = 0.25f;
    for (int64_t batch : {1, 3}) compare(single_node(ir::OpKind::kPad, {batch, 3, 4, 5}, a), batch, 1, seed++);
  }
  for (int32_t axis : {-1, 1, 0}) {
    ir::SoftmaxAttrs a;
    a.axis = axis;
    for (int64_t batch : {1, 3}) compare(single_node(ir::OpKind::kSoftmax, {batch, 13, 2}, a), batch, 13, seed++);
  }
}

}  // namespace
}  // namespace gramlite::runtime
