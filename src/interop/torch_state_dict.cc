#include "gramlite/interop/torch_state_dict.h"

#include <algorithm>

#include "base/one_line.h"
#include "interop/torch_archive.h"
#include "interop/torch_tensor_rebuild.h"
#include "interop/zip_reader.h"

namespace gramlite::interop {
namespace {

using detail::TorchPickleFile;

// Keys under which training scripts commonly nest the state dict of a checkpoint.
constexpr std::string_view kWrapperKeys[] = {"state_dict", "model_state_dict", "model", "net"};
constexpr std::string_view kModulePrefix = "module.";
constexpr uint8_t kPickleProto = 0x80;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list_keys(const PickleDocument& document, PickleRef dict, size_t max_keys = 8) {
  const std::vector<PickleRef>& items = document.at(dict).items;
  std::string out;
  size_t shown = 0;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (shown == max_keys) {
      out += str_cat(", ... (", items.size() / 2 - max_keys, " more)");
      break;
    }
    out += (shown++ ? ", " : "") + document.describe(items[i], 0, 40);
  }
  return out.empty() ? "<none>" : out;
}

bool holds_tensors(const PickleDocument& document, PickleRef dict) {
  const std::vector<PickleRef>& items = document.at(dict).items;
  for (size_t i = 1; i < items.size(); i += 2) {
    if (detail::is_pickled_tensor(document, items[i])) return true;
  }
  return false;
}

// The dict holding the tensors: the saved object itself, or a checkpoint's nested state dict.
Result<PickleRef> locate_state_dict(const PickleDocument& document, const std::string& source,
                                    std::string& wrapper_key) {
  const PickleRef root = document.root();
  if (document.at(root).kind != PickleKind::kDict) {
    return unsupported("'", source, "' holds a pickled ", document.describe(root, 0, 80),
                       " rather than a state_dict; save model.state_dict() instead");
  }
  if (holds_tensors(document, root) || document.at(root).items.empty()) return root;
  for (std::string_view key : kWrapperKeys) {
    const auto nested = document.dict_get(root, key);
    if (!nested) continue;
    if (document.at(*nested).kind == PickleKind::kDict) {
      wrapper_key = std::string(key);
      return *nested;
    }
    if (document.at(*nested).kind == PickleKind::kObject) {
      return unsupported("'", source, "': checkpoint key '", key, "' holds a pickled ",
                         document.describe(document.at(*nested).callable, 0, 80),
                         " object, not a state_dict; save model.state_dict() instead");
    }
    // {'state_dict': 5}: the file is there but unusable (exit 4), not missing.
    return unsupported("'", source, "': checkpoint key '", key, "' holds ", document.describe(*nested, 0, 80),
                       ", not a state_dict");
  }
  return unsupported("'", source, "' holds a dict without tensors and without a nested state dict (looked for ",
                   "'state_dict', 'model_state_dict', 'model', 'net'); its keys: ", list_keys(document, root));
}

// A budget for the elements a file may expand into: a plain state dict never needs more than one
// element per byte (int8), so 8x the file size leaves room for shared storages while stopping a
// file of stride-0 views from asking for terabytes.
detail::ElementBudget budget_for(size_t file_size) {
  return detail::ElementBudget{uint64_t{8} * file_size + (uint64_t{1} << 20)};
}

Result<StateDict> collect_tensors(const TorchPickleFile& file, const std::string& source, size_t file_size) {
  StateDict state;
  state.source = source;
  state.container_format = file.container_format;
  GRAMLITE_ASSIGN_OR_RETURN(PickleRef dict, locate_state_dict(file.document, source, state.wrapper_key));
  const PickleDocument& document = file.document;
  const std::vector<PickleRef>& items = document.at(dict).items;
  detail::ElementBudget budget = budget_for(file_size);
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const auto name = document.as_string(items[i]);
    if (!name) {
      return corrupt_data("'", source, "': a state_dict key is a ", pickle_kind_name(document.at(items[i]).kind),
                          ", not a string");
    }
    const PickleRef value = items[i + 1];
    if (!detail::is_pickled_tensor(document, value)) {
      // Modules may store arbitrary extra state next to their tensors; it is not a weight.
      if (ends_with(*name, "_extra_state") || document.at(value).kind == PickleKind::kNone) {
        state.ignored_entries.emplace_back(*name);
        continue;
      }
      return unsupported("'", source, "': state_dict entry '", *name, "' is ", document.describe(value, 1, 80),
                         ", not a tensor");
    }
    GRAMLITE_ASSIGN_OR_RETURN(StateDictTensor tensor,
                              detail::rebuild_tensor(file, value, std::string(*name), source, budget));
    state.tensors.push_back(std::move(tensor));
  }
  return state;
}

void strip_module_prefix(StateDict& state) {
  if (state.tensors.empty()) return;
  const auto has_prefix = [](const std::string& name) { return name.rfind(kModulePrefix, 0) == 0; };
  if (!std::all_of(state.tensors.begin(), state.tensors.end(),
                   [&](const StateDictTensor& t) { return has_prefix(t.name); })) {
    return;
  }
  for (StateDictTensor& tensor : state.tensors) tensor.name.erase(0, kModulePrefix.size());
  for (std::string& name : state.ignored_entries) {
    if (has_prefix(name)) name.erase(0, kModulePrefix.size());
  }
  state.stripped_module_prefix = true;
}

}  // namespace

int64_t StateDictTensor::numel() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

const StateDictTensor* StateDict::find(std::string_view name) const {
  for (const StateDictTensor& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

Result<StateDict> read_torch_state_dict_from_buffer(const Buffer& bytes, const std::string& display_name,
                                                    const StateDictReadOptions& options) {
  Result<TorchPickleFile> file = Status(StatusCode::kInternal, "unset");
  if (looks_like_zip(bytes.data(), bytes.size())) {
    file = detail::open_torch_zip(bytes, display_name, options.verify_crc);
  } else if (bytes.size() >= 2 && bytes.data()[0] == kPickleProto) {
    file = detail::open_torch_legacy(bytes, display_name);
  } else {
    return corrupt_data("'", display_name, "' is not a torch.save file (neither a ZIP archive nor a pickle",
                        bytes.empty() ? "; the file is empty" : "", ")");
  }
  // Keys and values quoted in a message come from the file: keep the message one line.
  const auto one_line_status = [](const Status& s) { return Status(s.code(), one_line(s.message())); };
  if (!file.ok()) return one_line_status(file.status());
  Result<StateDict> state = collect_tensors(*file, display_name, bytes.size());
  if (!state.ok()) return one_line_status(state.status());
  if (options.strip_module_prefix) strip_module_prefix(*state);
  return state;
}

Result<StateDict> read_torch_state_dict(const std::string& path, const StateDictReadOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(Buffer bytes, read_whole_file(path));
  return read_torch_state_dict_from_buffer(bytes, path, options);
}

}  // namespace gramlite::interop
