#include "format/model_decoder.h"

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "format/graph_check.h"
#include "format/model_generated.h"
#include "format/sparse_storage.h"

namespace gramlite::format {
namespace {

namespace fbs = ::gramlite::format::fb;
using flatbuffers::uoffset_t;

// Limits handed to the FlatBuffers verifier.
constexpr uoffset_t kMaxVerifierDepth = 64;
constexpr uoffset_t kMaxVerifierTables = 4'000'000;

// What decoding one tensor or node table costs against the budget; a table the writer produces
// takes at least this many bytes of its own in the file (see GraphDecoder).
constexpr uint64_t kTableCost = 24;

ir::Padding2d decode_padding(const fbs::Padding2d* p) {
  ir::Padding2d out;
  if (p != nullptr) out = {p->top(), p->left(), p->bottom(), p->right()};
  return out;
}

// Converts a verified graph section into IR.
//
// The verifier proves every reference lands inside the section, but not that the section is not
// referred to many times over: a crafted file of a few megabytes can point 4 million tensors at
// one 1 MB shape vector. A file the writer produces never shares a vector, string or table, so the
// bytes decoded never exceed the section's size; the decoder keeps that as a budget and refuses a
// file that overdraws it, before allocating, so memory stays proportional to the file.
class GraphDecoder {
 public:
  GraphDecoder(uint64_t budget, const uint8_t* weights, uint64_t weights_size,
               const std::shared_ptr<const void>& owner)
      : budget_(budget), compact_budget_(weights_size), weights_(weights), weights_size_(weights_size),
        owner_(owner) {}

  Result<ir::Graph> decode(const fbs::Model& model);

 private:
  bool charge(uint64_t bytes) {
    if (overdrawn_ || bytes > budget_) {
      overdrawn_ = true;
      return false;
    }
    budget_ -= bytes;
    return true;
  }
  Status budget_status() const {
    if (!overdrawn_) return Status::Ok();
    return corrupt_data("the graph section refers to the same data over and over (more data than its size); "
                        "no gramlite writer produces that");
  }

  // Copies a vector of scalars element by element through memcpy: the FlatBuffers 2.0 verifier
  // checks that a vector starts 4-byte aligned but not that 8-byte elements are 8-byte aligned,
  // and Vector::Get would then be a misaligned load (undefined behaviour).
  template <typename Out, typename In>
  std::vector<Out> to_vector(const flatbuffers::Vector<In>* in) {
    static_assert(std::is_arithmetic_v<In>, "scalar vectors only");
    std::vector<Out> out;
    if (in == nullptr || !charge(static_cast<uint64_t>(in->size()) * sizeof(In))) return out;
    out.reserve(in->size());
    const uint8_t* bytes = in->Data();
    for (uoffset_t i = 0; i < in->size(); ++i) {
      In value;
      std::memcpy(&value, bytes + static_cast<size_t>(i) * sizeof(In), sizeof(In));
      out.push_back(static_cast<Out>(flatbuffers::EndianScalar(value)));
    }
    return out;
  }

  std::string to_string(const flatbuffers::String* s) {
    if (s == nullptr || !charge(s->size())) return std::string();
    return s->str();
  }

  Result<ir::Tensor> decode_tensor(const fbs::Tensor& in);
  Result<Buffer> decode_compact_data(const ir::Tensor& t, uint32_t raw_dtype, const uint8_t* stored, uint64_t size);
  Result<ir::Node> decode_node(const fbs::Node& in);
  Result<ir::Attributes> decode_attributes(const fbs::Node& node);
  Result<ir::ModelMetadata> decode_metadata(const fbs::Metadata* in);

  uint64_t budget_;
  bool overdrawn_ = false;
  // Stored bytes of compactly encoded tensors still allowed: the writer never lets two tensors
  // share bytes, so together they fit in the weights section. Each decodes to at most 256 times
  // its stored size (sparse_storage.h), so memory stays proportional to the file.
  uint64_t compact_budget_ = 0;
  const uint8_t* weights_;
  uint64_t weights_size_;
  const std::shared_ptr<const void>& owner_;
};

Result<ir::Tensor> GraphDecoder::decode_tensor(const fbs::Tensor& in) {
  ir::Tensor t;
  t.name = to_string(in.name());
  t.shape = to_vector<int64_t>(in.shape());
  // Enum-like values are cast without checking here; check_graph_structure reports unknown ones.
  t.dtype = static_cast<ir::DType>(in.dtype());
  if (const fbs::QuantParams* q = in.quant()) {
    t.quant.scales = to_vector<float>(q->scales());
    t.quant.zero_points = to_vector<int32_t>(q->zero_points());
    t.quant.axis = q->axis();
  }
  if (const fbs::Sparsity* s = in.sparsity()) {
    t.sparsity.encoding = static_cast<ir::SparsityEncoding>(s->encoding());
    t.sparsity.block_shape = to_vector<int32_t>(s->block_shape());
    t.sparsity.target_sparsity = s->target_sparsity();
    if (t.sparsity.encoding == ir::SparsityEncoding::kBlockCsr) {
      return unsupported("sparsity encoding ", static_cast<uint32_t>(s->encoding()),
                         " (block-CSR) is reserved: no gramlite version reads or writes it");
    }
  }
  if (const fbs::DataRef* ref = in.data()) {
    const uint64_t offset = ref->offset();
    const uint64_t size = ref->size();
    if (offset % kWeightAlignment != 0) {
      return corrupt_data("data offset ", offset, " is misaligned (not a multiple of ", kWeightAlignment, ")");
    }
    if (offset > weights_size_ || size > weights_size_ - offset) {
      return corrupt_data("data (", size, " bytes at offset ", offset, ") is out of range of the ", weights_size_,
                          "-byte weights section");
    }
    if (t.sparsity.encoding == ir::SparsityEncoding::kBitmap || t.sparsity.encoding == ir::SparsityEncoding::kIndex) {
      GRAMLITE_ASSIGN_OR_RETURN(t.data, decode_compact_data(t, in.dtype(), weights_ + offset, size));
      t.sparsity.encoding = ir::SparsityEncoding::kDense;  // in memory, every tensor is dense
    } else {
      t.data = Buffer::view(owner_, weights_ + offset, static_cast<size_t>(size));
    }
  } else if (t.sparsity.encoding == ir::SparsityEncoding::kBitmap ||
             t.sparsity.encoding == ir::SparsityEncoding::kIndex) {
    return corrupt_data("is stored ", ir::sparsity_encoding_name(t.sparsity.encoding), "-encoded but has no data");
  }
  return t;
}

Result<Buffer> GraphDecoder::decode_compact_data(const ir::Tensor& t, uint32_t raw_dtype, const uint8_t* stored,
                                                 uint64_t size) {
  // The structural checks run after decoding; the ones decoding relies on run here first.
  if (!ir::is_valid_dtype(raw_dtype)) {
    return unsupported("dtype ", raw_dtype, " is not known to this gramlite version");
  }
  GRAMLITE_ASSIGN_OR_RETURN(const int64_t count, checked_concrete_element_count(t.shape));  // <= 2^48
  for (int64_t dim : t.shape) {
    if (dim == ir::kDynamicDim) {
      return corrupt_data("is a constant with a dynamic shape ", ir::shape_to_string(t.shape));
    }
  }
  if (size > compact_budget_) {
    return corrupt_data("its ", ir::sparsity_encoding_name(t.sparsity.encoding), "-encoded data (", size,
                        " bytes) and that of the tensors before it add up to more than the ", weights_size_,
                        "-byte weights section; no gramlite writer produces that");
  }
  compact_budget_ -= size;
  return decode_sparse(t.sparsity.encoding, stored, size, static_cast<uint64_t>(count), ir::dtype_size(t.dtype));
}

Result<ir::Attributes> GraphDecoder::decode_attributes(const fbs::Node& node) {
  const auto type = node.attributes_type();
  if (type == fbs::Attributes::NONE) return ir::Attributes{};
  if (type > fbs::Attributes::MAX) {
    return unsupported("attribute kind ", static_cast<uint32_t>(type), " is not known to this gramlite version");
  }
  if (node.attributes() == nullptr) {
    return corrupt_data("attribute kind ", static_cast<uint32_t>(type), " is set but its table is missing");
  }
  switch (type) {
    case fbs::Attributes::Conv2dAttrs: {
      const auto* a = node.attributes_as_Conv2dAttrs();
      return ir::Attributes(ir::Conv2dAttrs{a->kernel_h(), a->kernel_w(), a->stride_h(), a->stride_w(),
                                            a->dilation_h(), a->dilation_w(), decode_padding(a->padding()),
                                            a->groups()});
    }
    case fbs::Attributes::BatchNormAttrs:
      return ir::Attributes(ir::BatchNormAttrs{node.attributes_as_BatchNormAttrs()->epsilon()});
    case fbs::Attributes::Pool2dAttrs: {
      const auto* a = node.attributes_as_Pool2dAttrs();
      return ir::Attributes(ir::Pool2dAttrs{a->kernel_h(), a->kernel_w(), a->stride_h(), a->stride_w(),
                                            decode_padding(a->padding()), a->ceil_mode(), a->count_include_pad()});
    }
    case fbs::Attributes::ConcatAttrs:
      return ir::Attributes(ir::ConcatAttrs{node.attributes_as_ConcatAttrs()->axis()});
    case fbs::Attributes::FlattenAttrs:
      return ir::Attributes(ir::FlattenAttrs{node.attributes_as_FlattenAttrs()->axis()});
    case fbs::Attributes::ReshapeAttrs:
      return ir::Attributes(ir::ReshapeAttrs{to_vector<int64_t>(node.attributes_as_ReshapeAttrs()->shape())});
    case fbs::Attributes::SoftmaxAttrs:
      return ir::Attributes(ir::SoftmaxAttrs{node.attributes_as_SoftmaxAttrs()->axis()});
    case fbs::Attributes::PadAttrs: {
      const auto* a = node.attributes_as_PadAttrs();
      return ir::Attributes(ir::PadAttrs{to_vector<int64_t>(a->pads()), a->value()});
    }
    case fbs::Attributes::DropoutAttrs:
      return ir::Attributes(ir::DropoutAttrs{node.attributes_as_DropoutAttrs()->ratio()});
    case fbs::Attributes::NONE:
      break;
  }
  return internal_error("unhandled attribute kind ", static_cast<uint32_t>(type));
}

Result<ir::Node> GraphDecoder::decode_node(const fbs::Node& in) {
  ir::Node node;
  node.name = to_string(in.name());
  node.kind = static_cast<ir::OpKind>(in.op());
  node.inputs = to_vector<ir::TensorId>(in.inputs());
  node.outputs = to_vector<ir::TensorId>(in.outputs());
  node.fused_activation = static_cast<ir::Activation>(in.fused_activation());
  GRAMLITE_ASSIGN_OR_RETURN(node.attrs, decode_attributes(in));
  return node;
}

Result<ir::ModelMetadata> GraphDecoder::decode_metadata(const fbs::Metadata* in) {
  ir::ModelMetadata m;
  if (in == nullptr) return m;
  m.name = to_string(in->name());
  m.architecture = to_string(in->architecture());
  if (const auto* names = in->class_names()) {
    for (uoffset_t i = 0; i < names->size() && charge(sizeof(uoffset_t)); ++i) {
      m.class_names.push_back(to_string(names->Get(i)));
    }
  }
  if (const fbs::Preprocessing* p = in->preprocessing()) {
    m.preprocessing.mean = to_vector<float>(p->mean());
    m.preprocessing.std = to_vector<float>(p->std());
    m.preprocessing.resize = static_cast<ir::ResizeMode>(p->resize());
    m.preprocessing.bgr = p->bgr();
  }
  m.output_kind = static_cast<ir::OutputKind>(in->output_kind());
  if (const auto* extra = in->extra()) {
    for (uoffset_t i = 0; i < extra->size() && charge(2 * sizeof(uoffset_t)); ++i) {
      const fbs::KeyValue* kv = extra->Get(i);
      std::string key = to_string(kv->key());
      if (!m.extra.emplace(key, to_string(kv->value())).second) {
        return corrupt_data("metadata: the key '", key, "' appears twice");
      }
    }
  }
  return m;
}

Result<ir::Graph> GraphDecoder::decode(const fbs::Model& model) {
  ir::Graph graph;
  if (const auto* tensors = model.tensors()) {
    for (uoffset_t i = 0; i < tensors->size() && charge(kTableCost); ++i) {
      const fbs::Tensor* t = tensors->Get(i);
      auto tensor = decode_tensor(*t);
      if (!tensor.ok()) return tensor.status().with_context(describe_tensor(i, to_string(t->name())));
      graph.tensors.push_back(std::move(tensor).value());
    }
  }
  if (const auto* nodes = model.nodes()) {
    for (uoffset_t i = 0; i < nodes->size() && charge(kTableCost); ++i) {
      const fbs::Node* n = nodes->Get(i);
      auto node = decode_node(*n);
      if (!node.ok()) return node.status().with_context(str_cat("node ", i, " '", to_string(n->name()), "'"));
      graph.nodes.push_back(std::move(node).value());
    }
  }
  graph.inputs = to_vector<ir::TensorId>(model.inputs());
  graph.outputs = to_vector<ir::TensorId>(model.outputs());
  GRAMLITE_ASSIGN_OR_RETURN(graph.metadata, decode_metadata(model.metadata()));
  // Checked last: an overdrawn budget leaves the graph truncated, which must not be reported as
  // whatever structural error that truncation happens to cause.
  GRAMLITE_RETURN_IF_ERROR(budget_status());
  GRAMLITE_RETURN_IF_ERROR(check_graph_structure(graph));
  return graph;
}

Result<const fbs::Model*> verified_model(const FileHeader& header, const uint8_t* file) {
  const uint8_t* graph_bytes = file + header.graph_offset;
  if (header.graph_size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return corrupt_data("the graph section (", header.graph_size, " bytes) is larger than FlatBuffers allows");
  }
  flatbuffers::Verifier verifier(graph_bytes, static_cast<size_t>(header.graph_size), kMaxVerifierDepth,
                                 kMaxVerifierTables);
  if (!fbs::VerifyModelBuffer(verifier)) {
    return corrupt_data("the graph section (", header.graph_size,
                        " bytes) is not a valid gramlite graph: FlatBuffers verification failed");
  }
  return fbs::GetModel(graph_bytes);
}

}  // namespace

Result<ir::Graph> decode_model(const FileHeader& header, const uint8_t* file,
                               const std::shared_ptr<const void>& owner) {
  GRAMLITE_ASSIGN_OR_RETURN(const fbs::Model* model, verified_model(header, file));
  GraphDecoder decoder(header.graph_size, file + header.weights_offset, header.weights_size, owner);
  return decoder.decode(*model);
}

std::vector<StoredTensor> read_stored_tensors(const FileHeader& header, const uint8_t* file) {
  std::vector<StoredTensor> out;
  auto model = verified_model(header, file);
  if (!model.ok() || (*model)->tensors() == nullptr) return out;
  const auto& tensors = *(*model)->tensors();
  // A crafted file may share one name or shape among many tensors: read at most as many bytes of
  // them as the section holds (see GraphDecoder).
  uint64_t budget = header.graph_size;
  for (uoffset_t i = 0; i < tensors.size(); ++i) {
    const fbs::Tensor* t = tensors.Get(i);
    if (t->data() == nullptr) continue;
    StoredTensor stored;
    stored.tensor = static_cast<int32_t>(i);
    if (const flatbuffers::String* name = t->name(); name != nullptr && name->size() <= budget) {
      budget -= name->size();
      stored.name = name->str();
    }
    stored.encoding = static_cast<ir::SparsityEncoding>(t->sparsity() != nullptr ? t->sparsity()->encoding() : 0);
    stored.stored_bytes = t->data()->size();
    // Multiplied through in place, not copied: a crafted file may share one huge shape among many
    // tensors.
    int64_t count = 1;
    bool count_ok = true;
    if (const auto* dims = t->shape(); dims != nullptr && dims->size() * sizeof(int64_t) > budget) {
      count_ok = false;
    } else if (dims != nullptr) {
      budget -= dims->size() * sizeof(int64_t);
      for (uoffset_t d = 0; d < dims->size() && count_ok; ++d) {
        int64_t dim;  // memcpy: 8-byte elements need not be 8-byte aligned (see to_vector)
        std::memcpy(&dim, dims->Data() + static_cast<size_t>(d) * sizeof(int64_t), sizeof(int64_t));
        auto partial = checked_concrete_element_count({count, dim});
        count_ok = partial.ok() && dim >= 0;
        if (count_ok) count = *partial;
      }
    }
    if (count_ok && ir::is_valid_dtype(t->dtype())) {
      stored.dense_bytes = static_cast<uint64_t>(count) * ir::dtype_size(static_cast<ir::DType>(t->dtype()));
    }
    out.push_back(std::move(stored));
  }
  return out;
}

}  // namespace gramlite::format
