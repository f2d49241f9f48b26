#include "format/model_encoder.h"

#include <type_traits>
#include <variant>

#include "format/checksum.h"
#include "format/graph_check.h"
#include "format/model_generated.h"
#include "format/sparse_storage.h"
#include "gramlite/ir/validate.h"

namespace gramlite::format {
namespace {

namespace fbs = ::gramlite::format::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Index of T among the alternatives of a std::variant, at compile time.
template <typename T, typename Variant>
struct VariantIndex;
template <typename T, typename... Ts>
struct VariantIndex<T, std::variant<Ts...>> {
  static constexpr size_t value = [] {
    constexpr bool matches[] = {std::is_same_v<T, Ts>...};
    size_t i = 0;
    while (!matches[i]) ++i;
    return i;
  }();
};

// The Attributes union's type values are the IR variant's indices; the decoder relies on it too.
template <typename IrAttrs>
constexpr bool same_index(fbs::Attributes type) {
  return static_cast<size_t>(type) == VariantIndex<IrAttrs, ir::Attributes>::value;
}
static_assert(same_index<std::monostate>(fbs::Attributes::NONE));
static_assert(same_index<ir::Conv2dAttrs>(fbs::Attributes::Conv2dAttrs));
static_assert(same_index<ir::BatchNormAttrs>(fbs::Attributes::BatchNormAttrs));
static_assert(same_index<ir::Pool2dAttrs>(fbs::Attributes::Pool2dAttrs));
static_assert(same_index<ir::ConcatAttrs>(fbs::Attributes::ConcatAttrs));
static_assert(same_index<ir::FlattenAttrs>(fbs::Attributes::FlattenAttrs));
static_assert(same_index<ir::ReshapeAttrs>(fbs::Attributes::ReshapeAttrs));
static_assert(same_index<ir::SoftmaxAttrs>(fbs::Attributes::SoftmaxAttrs));
static_assert(same_index<ir::PadAttrs>(fbs::Attributes::PadAttrs));
static_assert(same_index<ir::DropoutAttrs>(fbs::Attributes::DropoutAttrs));
static_assert(static_cast<size_t>(fbs::Attributes::MAX) + 1 == std::variant_size_v<ir::Attributes>,
              "every IR attribute struct needs a table in model.fbs (append to the union)");

// Zeros for the padding between sections and tensors (always shorter than the alignment).
constexpr std::array<uint8_t, kWeightAlignment> kZeros{};

fbs::Padding2d encode_padding(const ir::Padding2d& p) { return fbs::Padding2d(p.top, p.left, p.bottom, p.right); }

// One overload per IR attribute struct: (union type, table offset).
struct AttributeEncoder {
  FlatBufferBuilder& fbb;

  std::pair<fbs::Attributes, Offset<void>> operator()(const std::monostate&) const {
    return {fbs::Attributes::NONE, 0};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::Conv2dAttrs& a) const {
    const fbs::Padding2d padding = encode_padding(a.padding);
    return {fbs::Attributes::Conv2dAttrs,
            fbs::CreateConv2dAttrs(fbb, a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.dilation_h,
                                   a.dilation_w, &padding, a.groups)
                .Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::BatchNormAttrs& a) const {
    return {fbs::Attributes::BatchNormAttrs, fbs::CreateBatchNormAttrs(fbb, a.epsilon).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::Pool2dAttrs& a) const {
    const fbs::Padding2d padding = encode_padding(a.padding);
    return {fbs::Attributes::Pool2dAttrs,
            fbs::CreatePool2dAttrs(fbb, a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, &padding, a.ceil_mode,
                                   a.count_include_pad)
                .Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::ConcatAttrs& a) const {
    return {fbs::Attributes::ConcatAttrs, fbs::CreateConcatAttrs(fbb, a.axis).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::FlattenAttrs& a) const {
    return {fbs::Attributes::FlattenAttrs, fbs::CreateFlattenAttrs(fbb, a.axis).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::ReshapeAttrs& a) const {
    return {fbs::Attributes::ReshapeAttrs, fbs::CreateReshapeAttrs(fbb, fbb.CreateVector(a.shape)).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::SoftmaxAttrs& a) const {
    return {fbs::Attributes::SoftmaxAttrs, fbs::CreateSoftmaxAttrs(fbb, a.axis).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::PadAttrs& a) const {
    return {fbs::Attributes::PadAttrs, fbs::CreatePadAttrs(fbb, fbb.CreateVector(a.pads), a.value).Union()};
  }
  std::pair<fbs::Attributes, Offset<void>> operator()(const ir::DropoutAttrs& a) const {
    return {fbs::Attributes::DropoutAttrs, fbs::CreateDropoutAttrs(fbb, a.ratio).Union()};
  }
};

// How a constant goes into the file: its encoding and stored bytes.
struct Stored {
  ir::SparsityEncoding encoding = ir::SparsityEncoding::kDense;
  Buffer bytes;
};

Result<Stored> choose_storage(const ir::Tensor& t, const SaveOptions& options) {
  if (!options.compact_sparse_weights) return Stored{ir::SparsityEncoding::kDense, t.data};
  // check_graph_structure has run: the shape is static and its byte count matches the data.
  const size_t element_size = ir::dtype_size(t.dtype);
  const uint64_t count = t.data.size() / element_size;
  const StorageSizes sizes = measure_storage(t.data.data(), count, element_size);
  const ir::SparsityEncoding best = smallest_encoding(sizes);
  if (best == ir::SparsityEncoding::kDense) return Stored{best, t.data};
  GRAMLITE_ASSIGN_OR_RETURN(Buffer bytes, encode_sparse(best, t.data.data(), count, element_size, sizes));
  return Stored{best, std::move(bytes)};
}

// `encoding`: how the tensor's data is stored in the file (in memory it is always dense).
Offset<fbs::Tensor> encode_tensor(FlatBufferBuilder& fbb, const ir::Tensor& t, ir::SparsityEncoding encoding,
                                  const fbs::DataRef* data) {
  const auto name = fbb.CreateString(t.name);
  const auto shape = fbb.CreateVector(t.shape);
  Offset<fbs::QuantParams> quant = 0;
  if (!(t.quant == ir::QuantParams{})) {
    quant = fbs::CreateQuantParams(fbb, fbb.CreateVector(t.quant.scales), fbb.CreateVector(t.quant.zero_points),
                                   t.quant.axis);
  }
  Offset<fbs::Sparsity> sparsity = 0;
  if (!(t.sparsity == ir::Sparsity{}) || encoding != ir::SparsityEncoding::kDense) {
    sparsity = fbs::CreateSparsity(fbb, static_cast<uint8_t>(encoding),
                                   fbb.CreateVector(t.sparsity.block_shape), t.sparsity.target_sparsity);
  }
  return fbs::CreateTensor(fbb, name, shape, static_cast<uint8_t>(t.dtype), quant, sparsity, data);
}

Offset<fbs::Node> encode_node(FlatBufferBuilder& fbb, const ir::Node& node) {
  const auto name = fbb.CreateString(node.name);
  const auto inputs = fbb.CreateVector(node.inputs);
  const auto outputs = fbb.CreateVector(node.outputs);
  const auto [attr_type, attr_table] = std::visit(AttributeEncoder{fbb}, node.attrs);
  return fbs::CreateNode(fbb, name, static_cast<uint16_t>(node.kind), inputs, outputs,
                         static_cast<uint8_t>(node.fused_activation), attr_type, attr_table);
}

Offset<fbs::Metadata> encode_metadata(FlatBufferBuilder& fbb, const ir::ModelMetadata& m) {
  const auto name = fbb.CreateString(m.name);
  const auto architecture = fbb.CreateString(m.architecture);
  const auto class_names = fbb.CreateVectorOfStrings(m.class_names);
  const auto preprocessing =
      fbs::CreatePreprocessing(fbb, fbb.CreateVector(m.preprocessing.mean), fbb.CreateVector(m.preprocessing.std),
                               static_cast<uint8_t>(m.preprocessing.resize), m.preprocessing.bgr);
  std::vector<Offset<fbs::KeyValue>> extra;
  extra.reserve(m.extra.size());
  for (const auto& [key, value] : m.extra) {  // std::map: sorted, so the bytes are deterministic
    extra.push_back(fbs::CreateKeyValue(fbb, fbb.CreateString(key), fbb.CreateString(value)));
  }
  return fbs::CreateMetadata(fbb, name, architecture, class_names, preprocessing,
                             static_cast<uint8_t>(m.output_kind), fbb.CreateVector(extra));
}

}  // namespace

std::vector<ByteSpan> EncodedModel::pieces() const {
  std::vector<ByteSpan> out;
  out.reserve(3 + 2 * weights.size());
  out.push_back({header_bytes.data(), header_bytes.size()});
  out.push_back({graph_bytes.data(), graph_bytes.size()});
  uint64_t position = header.graph_offset + graph_bytes.size();
  auto pad_to = [&](uint64_t target) {
    if (target > position) out.push_back({kZeros.data(), static_cast<size_t>(target - position)});
    position = target;
  };
  pad_to(header.weights_offset);
  for (const Weight& w : weights) {
    pad_to(header.weights_offset + w.offset);
    out.push_back({w.data.data(), w.data.size()});
    position += w.data.size();
  }
  return out;
}

Result<EncodedModel> encode_model(const ir::Graph& graph, const SaveOptions& options) {
  GRAMLITE_RETURN_IF_ERROR(check_graph_structure(graph).with_context("cannot save the graph"));
  GRAMLITE_RETURN_IF_ERROR(ir::validate(graph).with_context("cannot save an invalid graph"));

  EncodedModel model;
  // Weight layout first: each constant at the next aligned offset, in tensor order.
  std::vector<fbs::DataRef> refs(graph.tensors.size());
  std::vector<ir::SparsityEncoding> encodings(graph.tensors.size(), ir::SparsityEncoding::kDense);
  uint64_t cursor = 0;
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const ir::Tensor& t = graph.tensors[i];
    if (!t.is_constant()) continue;
    auto stored = choose_storage(t, options);
    if (!stored.ok()) return stored.status().with_context(str_cat("cannot save ", describe_tensor(i, t.name)));
    const uint64_t offset = align_up(cursor);
    const uint64_t size = stored->bytes.size();
    refs[i] = fbs::DataRef(offset, size);
    encodings[i] = stored->encoding;
    model.weights.push_back({offset, std::move(stored->bytes)});
    cursor = offset + size;
  }

  FlatBufferBuilder fbb(1024);
  // Write every field, defaults included: the file then round-trips bit for bit (a -0.0 pad
  // value would otherwise read back as the default +0.0) at the cost of a few bytes per table.
  fbb.ForceDefaults(true);
  std::vector<Offset<fbs::Tensor>> tensors;
  tensors.reserve(graph.tensors.size());
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    const ir::Tensor& t = graph.tensors[i];
    tensors.push_back(encode_tensor(fbb, t, encodings[i], t.is_constant() ? &refs[i] : nullptr));
  }
  std::vector<Offset<fbs::Node>> nodes;
  nodes.reserve(graph.nodes.size());
  for (const ir::Node& node : graph.nodes) nodes.push_back(encode_node(fbb, node));
  const auto root = fbs::CreateModel(fbb, fbb.CreateVector(tensors), fbb.CreateVector(nodes),
                                     fbb.CreateVector(graph.inputs), fbb.CreateVector(graph.outputs),
                                     encode_metadata(fbb, graph.metadata));
  fbs::FinishModelBuffer(fbb, root);
  model.graph_bytes.assign(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());

  FileHeader& h = model.header;
  h.graph_offset = kHeaderSize;
  h.graph_size = model.graph_bytes.size();
  h.weights_offset = align_up(h.graph_offset + h.graph_size);
  h.weights_size = cursor;
  h.file_size = h.weights_offset + h.weights_size;
  const std::vector<ByteSpan> body = model.pieces();
  uint32_t crc = 0;
  for (size_t i = 1; i < body.size(); ++i) crc = crc32c_extend(crc, body[i].data, body[i].size);
  h.checksum = crc;
  encode_header(h, model.header_bytes.data());
  return model;
}

}  // namespace gramlite::format
