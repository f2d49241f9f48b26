#include "runtime/onednn/convolution.h"

#include <algorithm>

#include "runtime/onednn/onednn_common.h"

#include <omp.h>

namespace gramlite::runtime::onednn {

std::vector<ConvSlice> slice_convolution(const ir::Shape& x, const ir::Shape& y, const ir::Conv2dAttrs& a,
                                         int parts) {
  const int64_t batch = y[0], rows = y[2];
  const int64_t window = (a.kernel_h - 1) * a.dilation_h + 1;
  std::vector<ConvSlice> slices;
  const auto whole_rows = [&](ConvSlice s) {
    s.row_begin = 0;
    s.row_end = rows;
    s.input_row_begin = 0;
    s.input_rows = x[2];
    s.pad_top = a.padding.top;
    s.pad_bottom = a.padding.bottom;
    return s;
  };
  if (parts <= 1 || batch >= parts || rows < 2) {
    const int64_t count = std::min<int64_t>(std::max(parts, 1), batch);
    for (int64_t p = 0; p < count; ++p) {
      ConvSlice s;
      s.image_begin = batch * p / count;
      s.image_end = batch * (p + 1) / count;
      slices.push_back(whole_rows(s));
    }
    return slices;
  }
  const int64_t count = std::min<int64_t>(parts, rows);
  for (int64_t p = 0; p < count; ++p) {
    ConvSlice s;
    s.image_begin = 0;
    s.image_end = batch;
    s.row_begin = rows * p / count;
    s.row_end = rows * (p + 1) / count;
    // The padded input rows the slice's windows cover, then the part of them that is padding.
    const int64_t first = s.row_begin * a.stride_h - a.padding.top;
    const int64_t end = (s.row_end - 1) * a.stride_h - a.padding.top + window;
    s.pad_top = std::max<int64_t>(0, -first);
    s.pad_bottom = std::max<int64_t>(0, end - x[2]);
    s.input_row_begin = std::max<int64_t>(0, first);
    s.input_rows = std::min<int64_t>(end, x[2]) - s.input_row_begin;
    if (s.input_rows < 1) {
      // Rows whose windows lie in the padding alone (tiny inputs): one slice, not an empty input.
      ConvSlice whole;
      whole.image_end = batch;
      return {whole_rows(whole)};
    }
    slices.push_back(s);
  }
  return slices;
}

ConvParameters wrap_conv_parameters(const ir::Conv2dAttrs& a, int64_t in_channels, int64_t out_channels,
                                    dnnl::memory::data_type weight_type, const void* weights,
                                    dnnl::memory::data_type bias_type, const void* bias) {
  using tag = dnnl::memory::format_tag;
  dnnl::memory::dims dims = {out_channels, in_channels / a.groups, a.kernel_h, a.kernel_w};
  tag weight_tag = tag::oihw;
  if (a.groups > 1) {
    dims = {a.groups, out_channels / a.groups, in_channels / a.groups, a.kernel_h, a.kernel_w};
    weight_tag = tag::goihw;
  }
  ConvParameters parameters;
  // oneDNN takes non-const handles; it only reads these (reorders from them, bias as an argument).
  parameters.weights = dnnl::memory({dims, weight_type, weight_tag}, cpu_engine(), const_cast<void*>(weights));
  if (bias != nullptr) {
    parameters.bias = dnnl::memory({{out_channels}, bias_type, tag::x}, cpu_engine(), const_cast<void*>(bias));
  }
  return parameters;
}

OnednnConvolution::OnednnConvolution(ir::Conv2dAttrs attrs, dnnl::memory user_weights, dnnl::memory user_bias,
                                     int threads, std::string name_prefix)
    : attrs_(attrs), user_weights_(std::move(user_weights)), user_bias_(std::move(user_bias)), threads_(threads),
      name_prefix_(std::move(name_prefix)) {}

size_t OnednnConvolution::packed_weight_bytes() const {
  size_t bytes = 0;
  for (const dnnl::memory& m : packed_) bytes += m.get_desc().get_size();
  return bytes;
}

Status OnednnConvolution::reshape(const KernelContext& context) {
  const ir::Shape& x = context.inputs[0].shape;
  const ir::Shape& y = context.outputs[0].shape;
  const ir::Conv2dAttrs& a = attrs_;
  const bool has_bias = user_bias_.get(true) != nullptr;
  try {
    // Each slice's primitive runs on one thread: OpenMP, which oneDNN asks when a primitive is
    // created and run, is held to one thread on every thread that does either.
    omp_set_num_threads(1);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    std::string why;
    if (!configure(attr, why)) return unsupported("onednn: ", why);
    const dnnl::memory::desc& user_weights_md = user_weights_.get_desc();
    const dnnl::memory::desc weights_md(user_weights_md.dims(), user_weights_md.data_type(),
                                        dnnl::memory::format_tag::any);
    const dnnl::memory::desc bias_md = has_bias ? user_bias_.get_desc() : dnnl::memory::desc();
    std::vector<Part> parts;
    std::vector<dnnl::memory> packed;
    size_t scratchpad = 0;
    std::string impl;
    const size_t src_element = src_type() == dnnl::memory::data_type::f32 ? 4 : 1;
    const size_t dst_element = dst_type() == dnnl::memory::data_type::f32 ? 4 : 1;
    for (const ConvSlice& s : slice_convolution(x, y, a, threads_)) {
      const int64_t images = s.image_end - s.image_begin;
      const dnnl::memory::desc src_md({images, x[1], s.input_rows, x[3]}, src_type(), dnnl::memory::format_tag::nhwc);
      const dnnl::memory::desc dst_md({images, y[1], s.row_end - s.row_begin, y[3]}, dst_type(),
                                      dnnl::memory::format_tag::nhwc);
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, weights_md, bias_md, dst_md,
          {a.stride_h, a.stride_w}, {a.dilation_h - 1, a.dilation_w - 1}, {s.pad_top, a.padding.left},
          {s.pad_bottom, a.padding.right});
      dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
      const std::string part_impl = pd.impl_info_str();
      // Only the direct jit and brgemm kernels: oneDNN's reference loops and its im2col + gemm
      // path are slower than XNNPACK, which then takes the node.
      if (part_impl.find("ref") != std::string::npos || part_impl.rfind("gemm:", 0) == 0) {
        return unsupported("onednn: no optimised kernel for this convolution (", part_impl, ")");
      }
      if (impl.empty()) impl = part_impl;
      Part part;
      part.slice = s;
      part.primitive = dnnl::convolution_forward(pd);
      // Weights are reordered at create, and again only if a new batch wants another format.
      const auto in_format = [&](const std::vector<dnnl::memory>& memories) {
        return std::find_if(memories.begin(), memories.end(),
                            [&](const dnnl::memory& m) { return m.get_desc() == pd.weights_desc(); });
      };
      auto format = in_format(packed);
      if (format == packed.end()) {
        const auto earlier = in_format(packed_);
        if (earlier != packed_.end()) {
          packed.push_back(*earlier);
        } else {
          dnnl::memory m(pd.weights_desc(), cpu_engine());
          dnnl::stream stream(cpu_engine());
          dnnl::reorder(user_weights_, m).execute(stream, user_weights_, m);
          stream.wait();
          packed.push_back(m);
        }
        format = packed.end() - 1;
      }
      part.weights = static_cast<size_t>(format - packed.begin());
      part.src = dnnl::memory(src_md, cpu_engine(), DNNL_MEMORY_NONE);
      part.dst = dnnl::memory(dst_md, cpu_engine(), DNNL_MEMORY_NONE);
      part.scratchpad = dnnl::memory(pd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
      scratchpad = std::max(scratchpad, pd.scratchpad_desc().get_size());
      part.stream = dnnl::stream(cpu_engine());
      part.src_offset = static_cast<size_t>((s.image_begin * x[2] + s.input_row_begin) * x[3] * x[1]) * src_element;
      part.dst_offset = static_cast<size_t>((s.image_begin * y[2] + s.row_begin) * y[3] * y[1]) * dst_element;
      parts.push_back(std::move(part));
    }
    packed_ = std::move(packed);
    for (Part& part : parts) {
      part.args = {{DNNL_ARG_SRC, part.src},
                   {DNNL_ARG_WEIGHTS, packed_[part.weights]},
                   {DNNL_ARG_DST, part.dst},
                   {DNNL_ARG_SCRATCHPAD, part.scratchpad}};
      if (has_bias) part.args.emplace(DNNL_ARG_BIAS, user_bias_);
    }
    parts_ = std::move(parts);
    scratchpad_bytes_ = (scratchpad + 63) / 64 * 64;
    input_elements_ = element_count_of(x);
    input_scratch_bytes_ = (input_scratch_bytes(input_elements_) + 63) / 64 * 64;
    name_ = name_prefix_ + impl;
    if (parts_.size() > 1) name_ += " x" + std::to_string(parts_.size());
  } catch (const dnnl::error& e) {
    return unsupported("onednn: ", e.what());
  }
  return Status::Ok();
}

void OnednnConvolution::run(const KernelIo& io, ThreadPool* pool) const {
  auto* scratch = static_cast<uint8_t*>(io.scratch);
  const auto* src = static_cast<const uint8_t*>(prepare_input(io.inputs[0], input_elements_, scratch, pool));
  auto* dst = static_cast<uint8_t*>(io.outputs[0]);
  uint8_t* scratchpads = scratch + input_scratch_bytes_;
  const auto run_part = [&](size_t p) {
    const Part& part = parts_[p];
    part.src.set_data_handle(const_cast<uint8_t*>(src) + part.src_offset);
    part.dst.set_data_handle(dst + part.dst_offset);
    part.scratchpad.set_data_handle(scratchpads + p * scratchpad_bytes_);
    omp_set_num_threads(1);
    part.primitive.execute(part.stream, part.args);
    part.stream.wait();
    clean_upper_vector_state();
  };
  if (parts_.size() == 1) {
    run_part(0);
    return;
  }
  run_on_threads(pool, [&](int thread, int threads) {
    for (size_t p = static_cast<size_t>(thread); p < parts_.size(); p += static_cast<size_t>(threads)) run_part(p);
  });
}

}  // namespace gramlite::runtime::onednn
