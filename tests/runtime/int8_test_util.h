// Helpers for the int8 kernel tests: build one-node graphs whose tensors carry int8 data and
// quantization parameters, run a node through the reference backend, and build the float twin of
// an int8 graph (every int8 constant dequantized) whose reference kernel is the oracle.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/runtime/backend.h"
#include "graph_builder.h"

namespace gramlite::runtime::testing {

inline ir::QuantParams per_tensor(ir::AffineQuant q) { return {{q.scale}, {q.zero_point}, -1}; }

inline std::vector<int8_t> random_int8(size_t count, std::mt19937& rng, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> values(count);
  for (int8_t& v : values) v = static_cast<int8_t>(dist(rng));
  return values;
}

// Random activation params: scale in [lo, hi), zero point in [-128, 127].
inline ir::AffineQuant random_quant(std::mt19937& rng, float lo = 0.005f, float hi = 0.05f) {
  std::uniform_real_distribution<float> scale(lo, hi);
  std::uniform_int_distribution<int> zero_point(-128, 127);
  const float s = scale(rng);
  return {s, zero_point(rng)};
}

// An int8 activation (graph input or node output) with `q`.
inline ir::TensorId add_int8_value(ir::Graph& g, const std::string& name, const ir::Shape& shape, ir::AffineQuant q) {
  const ir::TensorId id = g.add_value(name, shape, ir::DType::kInt8);
  g.tensor(id).quant = per_tensor(q);
  return id;
}

template <typename T>
ir::TensorId add_typed_constant(ir::Graph& g, const std::string& name, const ir::Shape& shape, ir::DType dtype,
                                const std::vector<T>& values, ir::QuantParams quant) {
  const ir::TensorId id =
      g.add_constant(name, shape, dtype, Buffer::copy_of(values.data(), values.size() * sizeof(T)));
  g.tensor(id).quant = std::move(quant);
  return id;
}

// What a kernel sees for node `n` of `g`, with the graph's own (concrete) shapes.
inline KernelContext context_of(const ir::Graph& g, const ir::Node& node) {
  KernelContext context{g, node, {}, {}, 1};
  auto describe = [&](ir::TensorId id) {
    TensorDesc desc;
    if (id == ir::kNoTensor) return desc;
    const ir::Tensor& t = g.tensor(id);
    desc.present = true;
    desc.dtype = t.dtype;
    desc.shape = t.shape;
    desc.quant = &t.quant;
    desc.tensor = &t;
    return desc;
  };
  for (ir::TensorId id : node.inputs) context.inputs.push_back(describe(id));
  for (ir::TensorId id : node.outputs) context.outputs.push_back(describe(id));
  return context;
}

// The kernel the reference backend picks for g.nodes[0], created and reshaped.
inline Result<std::unique_ptr<Kernel>> reference_kernel_for(const ir::Graph& g) {
  const KernelContext context = context_of(g, g.nodes.at(0));
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, reference_backend().create_kernel(context));
  GRAMLITE_RETURN_IF_ERROR(kernel->reshape(context));
  return kernel;
}

// Runs g.nodes[0] on the reference backend. `activations` holds the data of the node's
// non-constant inputs, in input order (bytes); constants are read from the graph. Returns the
// output's bytes. A view's output is its input (the session aliases them), so it returns that.
inline std::vector<uint8_t> run_reference_node(const ir::Graph& g, const std::vector<std::vector<uint8_t>>& activations) {
  const ir::Node& node = g.nodes.at(0);
  auto kernel = reference_kernel_for(g);
  EXPECT_TRUE(kernel.ok()) << kernel.status().message();
  if (!kernel.ok()) return {};
  std::vector<const void*> inputs;
  size_t next = 0;
  for (ir::TensorId id : node.inputs) {
    if (id == ir::kNoTensor) {
      inputs.push_back(nullptr);
    } else if (g.tensor(id).is_constant()) {
      inputs.push_back(g.tensor(id).data.data());
    } else {
      inputs.push_back(activations.at(next++).data());
    }
  }
  const ir::Tensor& out = g.tensor(node.outputs[0]);
  std::vector<uint8_t> output(static_cast<size_t>(out.element_count()) * ir::dtype_size(out.dtype));
  std::vector<void*> outputs = {output.data()};
  std::vector<uint8_t> scratch((*kernel)->scratch_bytes() + 64);
  (*kernel)->run({inputs.data(), outputs.data(), scratch.data()}, nullptr);
  if (ir::op_traits(node.kind).output_aliases_input) {
    std::memcpy(output.data(), inputs[0], output.size());
  }
  return output;
}

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
template <typename T>
std::vector<T> from_bytes(const std::vector<uint8_t>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

inline std::vector<float> dequantize(const std::vector<int8_t>& q, ir::AffineQuant p) {
  std::vector<float> x(q.size());
  for (size_t i = 0; i < q.size(); ++i) x[i] = ir::dequantize_value(q[i], p.scale, p.zero_point);
  return x;
}
inline std::vector<int8_t> quantize(const std::vector<float>& x, ir::AffineQuant p) {
  std::vector<int8_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) q[i] = static_cast<int8_t>(ir::quantize_value(x[i], p.scale, p.zero_point));
  return q;
}

// The float twin of an int8 graph: int8 / int32 tensors become float32 (constants dequantized with
// their own per-tensor or per-channel (axis 0) scales), quantization parameters dropped.
inline ir::Graph float_twin(const ir::Graph& g) {
  ir::Graph f = g;
  for (ir::Tensor& t : f.tensors) {
    if (t.dtype == ir::DType::kFloat32) continue;
    if (t.is_constant()) {
      const size_t count = static_cast<size_t>(t.element_count());
      const size_t channels = t.quant.scales.size();
      const size_t per_channel = channels == 0 ? count : count / channels;
      std::vector<float> values(count);
      for (size_t i = 0; i < count; ++i) {
        const size_t c = channels <= 1 ? 0 : i / per_channel;
        const float scale = channels == 0 ? 1.0f : t.quant.scales[c];
        const int32_t zp = t.quant.zero_points.empty() ? 0 : t.quant.zero_points[channels <= 1 ? 0 : c];
        const int32_t q = t.dtype == ir::DType::kInt8 ? t.data.as<int8_t>()[i] : t.data.as<int32_t>()[i];
        values[i] = static_cast<float>(static_cast<double>(scale) * (q - zp));
      }
      t.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
    }
    t.dtype = ir::DType::kFloat32;
    t.quant = {};
  }
  return f;
}

// Compares the int8 kernel's output with the float oracle's output quantized with `out`.
struct Lsb {
  size_t off_by_one = 0;
  size_t worse = 0;
  int first_worse = -1;
  size_t saturated = 0;  // outputs at -128 or 127
  size_t count = 0;
};
inline Lsb compare_lsb(const std::vector<int8_t>& actual, const std::vector<int8_t>& expected) {
  Lsb r;
  r.count = actual.size();
  EXPECT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    const int d = std::abs(int{actual[i]} - int{expected[i]});
    if (d == 1) ++r.off_by_one;
    if (d > 1) {
      if (r.worse == 0) r.first_worse = static_cast<int>(i);
      ++r.worse;
    }
    if (actual[i] == -128 || actual[i] == 127) ++r.saturated;
  }
  return r;
}

// An int8 activation fed to a node: data and params.
struct Int8Input {
  std::vector<int8_t> data;
  ir::AffineQuant quant;
};

// Runs node 0 of the float twin of `g` on the dequantized inputs: the real-valued oracle.
inline std::vector<float> float_oracle(const ir::Graph& g, const std::vector<Int8Input>& inputs) {
  std::vector<std::vector<uint8_t>> real;
  for (const Int8Input& in : inputs) real.push_back(as_bytes(dequantize(in.data, in.quant)));
  return from_bytes<float>(run_reference_node(float_twin(g), real));
}

// Runs node 0 of `g` (its output's params already set) and compares it with the float oracle
// quantized with those params.
inline Lsb compare_with_float(const ir::Graph& g, const std::vector<Int8Input>& inputs) {
  const ir::Tensor& out = g.tensor(g.nodes.at(0).outputs.at(0));
  const ir::AffineQuant y{out.quant.scales.at(0), out.quant.zero_points.at(0)};
  std::vector<std::vector<uint8_t>> bytes;
  for (const Int8Input& in : inputs) bytes.push_back(as_bytes(in.data));
  const std::vector<int8_t> actual = from_bytes<int8_t>(run_reference_node(g, bytes));
  return compare_lsb(actual, quantize(float_oracle(g, inputs), y));
}

}  // namespace gramlite::runtime::testing
