// What the float32 and int8 oneDNN convolutions share: one primitive per thread of the session's
// pool, each computing a slice of the output (a range of images, or of output rows at batch 1),
// run on the pool's threads with OpenMP held to one thread.
//
// Why not oneDNN's own threading: Debian's oneDNN threads with OpenMP, and at 2 threads OpenMP's
// waiting workers and the session's pool took each other's cores (MobileNetV2 int8: 15.9 ms
// against 4.5 ms on XNNPACK alone, docs/runtime.md). Slicing the convolution ourselves keeps one
// set of threads. A slice of output rows reads the input rows its windows cover (a contiguous
// block in NHWC at batch 1), with the convolution's padding only where the slice reaches an edge.
#pragma once

#include <dnnl.hpp>

#include <string>
#include <unordered_map>
#include <vector>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::onednn {

// One thread's share of a convolution: images [image_begin, image_end) and output rows
// [row_begin, row_end), reading input rows [input_row_begin, input_row_begin + input_rows) with
// `pad_top` / `pad_bottom` rows of padding.
struct ConvSlice {
  int64_t image_begin = 0, image_end = 0;
  int64_t row_begin = 0, row_end = 0;
  int64_t input_row_begin = 0, input_rows = 0;
  int64_t pad_top = 0, pad_bottom = 0;
};

// Splits the convolution of NCHW-dims input `x` into output `y` into at most `parts` slices: by
// image when the batch has at least `parts` images, else (batch 1) by output rows.
std::vector<ConvSlice> slice_convolution(const ir::Shape& x, const ir::Shape& y, const ir::Conv2dAttrs& attrs,
                                         int parts);

// The node's weights (OIHW; GOIHW when grouped) and bias (absent: an empty memory) as oneDNN
// memories over the graph's constants, which outlive the kernel (kernel.h).
struct ConvParameters {
  dnnl::memory weights, bias;
};
ConvParameters wrap_conv_parameters(const ir::Conv2dAttrs& attrs, int64_t in_channels, int64_t out_channels,
                                    dnnl::memory::data_type weight_type, const void* weights,
                                    dnnl::memory::data_type bias_type, const void* bias);

class OnednnConvolution : public Kernel {
 public:
  Layout input_layout(size_t) const override { return Layout::kNhwc; }
  Layout output_layout(size_t) const override { return Layout::kNhwc; }
  const char* name() const override { return name_.c_str(); }
  size_t scratch_bytes() const override { return input_scratch_bytes_ + scratchpad_bytes_ * parts_.size(); }
  size_t packed_weight_bytes() const override;
  Status reshape(const KernelContext& context) override;
  void run(const KernelIo& io, ThreadPool* pool) const override;

 protected:
  // user_weights / user_bias: from wrap_conv_parameters.
  OnednnConvolution(ir::Conv2dAttrs attrs, dnnl::memory user_weights, dnnl::memory user_bias, int threads,
                    std::string name_prefix);
  // The activations' data types.
  virtual dnnl::memory::data_type src_type() const = 0;
  virtual dnnl::memory::data_type dst_type() const = 0;
  // Scales, zero points, post-ops; false (with `why`) for what oneDNN cannot compute.
  virtual bool configure(dnnl::primitive_attr& attr, std::string& why) const = 0;
  // Bytes of scratch before the scratchpads for a transformed input of `elements` values (0: the
  // primitives read the input as is).
  virtual size_t input_scratch_bytes(size_t elements) const = 0;
  // Returns the source the primitives read: the input, or its transform written into `scratch`.
  virtual const void* prepare_input(const void* input, size_t elements, void* scratch, ThreadPool* pool) const = 0;

 private:
  struct Part {
    ConvSlice slice;
    dnnl::convolution_forward primitive;
    size_t weights = 0;  // index into packed_ (one format for most slices)
    mutable dnnl::memory src, dst, scratchpad;
    mutable std::unordered_map<int, dnnl::memory> args;
    mutable dnnl::stream stream;
    size_t src_offset = 0, dst_offset = 0;  // bytes
  };

  ir::Conv2dAttrs attrs_;
  dnnl::memory user_weights_;
  dnnl::memory user_bias_;
  int threads_;
  std::string name_prefix_;
  std::vector<dnnl::memory> packed_;  // the weights, reordered once per format the slices want
  std::vector<Part> parts_;
  size_t input_elements_ = 0;
  size_t input_scratch_bytes_ = 0;
  size_t scratchpad_bytes_ = 0;  // per slice, 64-byte multiple
  std::string name_;
};

}  // namespace gramlite::runtime::onednn
