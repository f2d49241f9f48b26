#include "interop/state_dict_matching.h"

#include <unordered_map>
#include <unordered_set>

namespace gramlite::interop::detail {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list(const std::vector<std::string>& names, size_t max_listed) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max_listed; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max_listed) out += str_cat(", ... and ", names.size() - max_listed, " more");
  return out;
}

}  // namespace

bool is_skipped_key(const std::string& name) {
  return ends_with(name, ".num_batches_tracked") || name == "num_batches_tracked" ||
         name.rfind("AuxLogits.", 0) == 0;
}

StateDictMatch match_state_dict(const ir::Graph& graph, const StateDict& state) {
  StateDictMatch match;
  std::unordered_map<std::string, const StateDictTensor*> by_name;
  for (const StateDictTensor& tensor : state.tensors) by_name.emplace(tensor.name, &tensor);

  std::unordered_set<std::string> wanted;
  for (size_t id = 0; id < graph.tensors.size(); ++id) {
    const ir::Tensor& parameter = graph.tensors[id];
    if (!parameter.is_constant() || parameter.dtype != ir::DType::kFloat32) continue;
    wanted.insert(parameter.name);
    auto found = by_name.find(parameter.name);
    if (found == by_name.end()) {
      match.missing.push_back(parameter.name);
      continue;
    }
    const StateDictTensor& tensor = *found->second;
    if (tensor.shape != parameter.shape || !tensor.is_floating()) {
      match.mismatched.push_back(str_cat(parameter.name, ": file ", ir::shape_to_string(tensor.shape), " ",
                                         torch_dtype_name(tensor.dtype), " vs model ",
                                         ir::shape_to_string(parameter.shape), " float32"));
      continue;
    }
    match.pairs.emplace_back(static_cast<ir::TensorId>(id), &tensor);
  }
  for (const StateDictTensor& tensor : state.tensors) {
    if (wanted.count(tensor.name) != 0) continue;
    (is_skipped_key(tensor.name) ? match.skipped : match.unexpected).push_back(tensor.name);
  }
  return match;
}

std::string describe_mismatch(const StateDictMatch& match, size_t max_listed) {
  std::string out;
  const auto section = [&](const std::vector<std::string>& names, const char* singular, const char* plural) {
    if (names.empty()) return;
    if (!out.empty()) out += "; ";
    out += str_cat(names.size(), " ", names.size() == 1 ? singular : plural, ": ", list(names, max_listed));
  };
  section(match.missing, "missing key", "missing keys");
  section(match.unexpected, "unexpected key", "unexpected keys");
  section(match.mismatched, "shape mismatch", "shape mismatches");
  return out;
}

}  // namespace gramlite::interop::detail
