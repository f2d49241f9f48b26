#include "interop/torch_tensor_rebuild.h"

#include <array>

namespace gramlite::interop::detail {
namespace {

constexpr size_t kMaxRank = 16;

// The call a pickled tensor boils down to once wrappers (Parameter, tensor subclasses) are peeled.
struct TensorCall {
  PickleRef callable = kNoPickleRef;
  PickleRef args = kNoPickleRef;
};

bool is_tensor_rebuild(std::string_view name) {
  return name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor";
}
bool is_wrapper(std::string_view name) {
  return name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state" ||
         name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type";
}

std::string_view callable_name(const PickleDocument& document, const TensorCall& call) {
  return document.global_name(call.callable).value_or(std::string_view());
}

// Peels at most a few wrapper layers: a real file never nests deeper, and a bound keeps a
// self-referencing pickle from looping.
Result<TensorCall> unwrap(const PickleDocument& document, PickleRef ref, const std::string& where) {
  if (!document.valid(ref) || document.at(ref).kind != PickleKind::kObject) {
    return corrupt_data(where, " is not a pickled tensor");
  }
  TensorCall call{document.at(ref).callable, document.at(ref).args};
  for (int depth = 0; depth < 4; ++depth) {
    const std::string_view name = callable_name(document, call);
    if (is_tensor_rebuild(name)) return call;
    if (!is_wrapper(name)) {
      return unsupported(where, " is built by ", name.empty() ? "<not a global>" : std::string(name),
                         ", which this reader does not support (quantized, sparse or meta tensors are not "
                         "state_dict weights gramlite can import)");
    }
    const std::vector<PickleRef>* args = document.as_sequence(call.args);
    if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type") {
      // (func, type, args, state): the tensor is func(*args).
      if (args == nullptr || args->size() < 3) return corrupt_data(where, ": malformed ", name, " arguments");
      call = TensorCall{(*args)[0], (*args)[2]};
      continue;
    }
    // Parameters: (data, requires_grad, backward_hooks[, state]); data is the tensor.
    if (args == nullptr || args->empty() || !document.valid((*args)[0]) ||
        document.at((*args)[0]).kind != PickleKind::kObject) {
      return corrupt_data(where, ": malformed ", name, " arguments");
    }
    const PickleValue& data = document.at((*args)[0]);
    call = TensorCall{data.callable, data.args};
  }
  return corrupt_data(where, ": tensor wrappers nested too deeply");
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

Status read_int_tuple(const PickleDocument& document, PickleRef ref, std::vector<int64_t>& out,
                      const std::string& where, const char* what) {
  const std::vector<PickleRef>* items = document.as_sequence(ref);
  if (items == nullptr || items->size() > kMaxRank) {
    return corrupt_data(where, ": the ", what, " is not a tuple of at most ", kMaxRank, " ints");
  }
  out.clear();
  for (PickleRef item : *items) {
    const auto value = document.as_int(item);
    if (!value || *value < 0) return corrupt_data(where, ": the ", what, " holds a non-int or negative value");
    out.push_back(*value);
  }
  return Status::Ok();
}

// Copies the strided view into row-major order, converting each element.
void gather(const uint8_t* bytes, TorchDType dtype, uint64_t base, const std::vector<int64_t>& shape,
            const std::vector<int64_t>& stride, uint64_t numel, StateDictTensor& out) {
  const bool floating = is_floating(dtype);
  if (floating) out.data.resize(numel); else out.int_data.resize(numel);
  const auto store = [&](uint64_t i, uint64_t index) {
    if (floating) {
      out.data[i] = load_as_float(bytes, dtype, static_cast<size_t>(index));
    } else {
      out.int_data[i] = load_as_int(bytes, dtype, static_cast<size_t>(index));
    }
  };
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1 && stride[d] != expected) contiguous = false;
    expected *= shape[d];
  }
  if (contiguous) {
    for (uint64_t i = 0; i < numel; ++i) store(i, base + i);
    return;
  }
  // An odometer over the index space: no recursion, any rank up to kMaxRank.
  std::array<int64_t, kMaxRank> counter{};
  const size_t rank = shape.size();
  uint64_t index = base;
  for (uint64_t i = 0; i < numel; ++i) {
    store(i, index);
    for (size_t d = rank; d-- > 0;) {
      if (++counter[d] < shape[d]) {
        index += static_cast<uint64_t>(stride[d]);
        break;
      }
      index -= static_cast<uint64_t>(stride[d]) * static_cast<uint64_t>(shape[d] - 1);
      counter[d] = 0;
    }
  }
}

}  // namespace

bool is_pickled_tensor(const PickleDocument& document, PickleRef ref) {
  if (!document.valid(ref) || document.at(ref).kind != PickleKind::kObject) return false;
  const auto name = document.global_name(document.at(ref).callable);
  return name && (is_tensor_rebuild(*name) || is_wrapper(*name) ||
                  name->rfind("torch._utils._rebuild_", 0) == 0);
}

Result<StateDictTensor> rebuild_tensor(const TorchPickleFile& file, PickleRef ref, const std::string& name,
                                       const std::string& source, ElementBudget& budget) {
  const PickleDocument& document = file.document;
  const std::string where = str_cat("'", source, "': tensor '", name, "'");
  GRAMLITE_ASSIGN_OR_RETURN(TensorCall call, unwrap(document, ref, where));

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  // _rebuild_tensor(storage, storage_offset, size, stride)
  const std::vector<PickleRef>* args = document.as_sequence(call.args);
  if (args == nullptr || args->size() < 4) return corrupt_data(where, ": malformed tensor arguments");
  GRAMLITE_ASSIGN_OR_RETURN(StorageRef storage, parse_storage_ref(document, (*args)[0], where));
  const auto storage_offset = document.as_int((*args)[1]);
  if (!storage_offset || *storage_offset < 0) return corrupt_data(where, ": malformed storage offset");

  StateDictTensor tensor;
  tensor.name = name;
  tensor.dtype = storage.dtype;
  std::vector<int64_t> stride;
  GRAMLITE_RETURN_IF_ERROR(read_int_tuple(document, (*args)[2], tensor.shape, where, "size"));
  GRAMLITE_RETURN_IF_ERROR(read_int_tuple(document, (*args)[3], stride, where, "stride"));
  if (stride.size() != tensor.shape.size()) return corrupt_data(where, ": size and stride ranks differ");

  auto found = file.storages.find(storage.key);
  if (found == file.storages.end()) {
    return corrupt_data(where, ": its storage '", storage.key, "' is missing from the file");
  }
  const Buffer& bytes = found->second;
  const uint64_t element_size = torch_dtype_size(storage.dtype);
  const uint64_t available = bytes.size() / element_size;
  if (static_cast<uint64_t>(storage.offset) > available ||
      static_cast<uint64_t>(storage.numel) > available - static_cast<uint64_t>(storage.offset)) {
    return corrupt_data(where, ": storage '", storage.key, "' should hold ", storage.numel, " ",
                        torch_dtype_name(storage.dtype), " elements but the file has ", available,
                        " (truncated or corrupt)");
  }

  // Element count, capped by the budget before it can overflow.
  uint64_t numel = 1;
  for (int64_t dim : tensor.shape) {
    if (dim != 0 && numel > budget.remaining / static_cast<uint64_t>(dim)) {
      return unsupported(where, ": shape ", shape_string(tensor.shape), " expands to more elements than the file can plausibly hold");
    }
    numel *= static_cast<uint64_t>(dim);
  }
  // The last element's position must lie inside the storage.
  const uint64_t limit = static_cast<uint64_t>(storage.numel);
  if (numel > 0) {
    uint64_t last = static_cast<uint64_t>(*storage_offset);
    if (last >= limit) return corrupt_data(where, ": storage offset ", last, " is past its storage");
    for (size_t d = 0; d < stride.size(); ++d) {
      const uint64_t steps = static_cast<uint64_t>(tensor.shape[d] - 1);
      const uint64_t step = static_cast<uint64_t>(stride[d]);
      if (step != 0 && steps > (limit - 1 - last) / step) {
        return corrupt_data(where, ": its size and strides reach past the end of storage '", storage.key, "' (",
                            storage.numel, " elements)");
      }
      last += steps * step;
    }
  }
  budget.remaining -= numel;
  const uint64_t base = static_cast<uint64_t>(storage.offset) + static_cast<uint64_t>(*storage_offset);
  gather(bytes.data(), storage.dtype, base, tensor.shape, stride, numel, tensor);
  return tensor;
}

}  // namespace gramlite::interop::detail
