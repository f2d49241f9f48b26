#include "interop/pickle_value.h"

#include <sstream>

namespace gramlite::interop {

const char* pickle_kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone: return "None";
    case PickleKind::kBool: return "bool";
    case PickleKind::kInt: return "int";
    case PickleKind::kBigInt: return "big int";
    case PickleKind::kFloat: return "float";
    case PickleKind::kString: return "str";
    case PickleKind::kBytes: return "bytes";
    case PickleKind::kTuple: return "tuple";
    case PickleKind::kList: return "list";
    case PickleKind::kSet: return "set";
    case PickleKind::kDict: return "dict";
    case PickleKind::kGlobal: return "global";
    case PickleKind::kObject: return "object";
    case PickleKind::kPersistentId: return "persistent id";
  }
  return "?";
}

std::optional<int64_t> PickleDocument::as_int(PickleRef ref) const {
  if (!valid(ref)) return std::nullopt;
  const PickleValue& value = at(ref);
  if (value.kind == PickleKind::kInt) return value.integer;
  if (value.kind == PickleKind::kBool) return value.boolean ? 1 : 0;
  return std::nullopt;
}

std::optional<double> PickleDocument::as_float(PickleRef ref) const {
  if (!valid(ref)) return std::nullopt;
  const PickleValue& value = at(ref);
  if (value.kind == PickleKind::kFloat) return value.real;
  if (value.kind == PickleKind::kInt) return static_cast<double>(value.integer);
  return std::nullopt;
}

std::optional<std::string_view> PickleDocument::as_string(PickleRef ref) const {
  if (!valid(ref) || at(ref).kind != PickleKind::kString) return std::nullopt;
  return std::string_view(at(ref).text);
}

const std::vector<PickleRef>* PickleDocument::as_sequence(PickleRef ref) const {
  if (!valid(ref)) return nullptr;
  const PickleValue& value = at(ref);
  if (value.kind != PickleKind::kTuple && value.kind != PickleKind::kList) return nullptr;
  return &value.items;
}

std::optional<std::string_view> PickleDocument::global_name(PickleRef ref) const {
  if (!valid(ref) || at(ref).kind != PickleKind::kGlobal) return std::nullopt;
  return std::string_view(at(ref).text);
}

std::optional<PickleRef> PickleDocument::dict_get(PickleRef dict, std::string_view key) const {
  if (!valid(dict) || at(dict).kind != PickleKind::kDict) return std::nullopt;
  const std::vector<PickleRef>& items = at(dict).items;
  // Later SETITEMs of the same key win, as in Python.
  std::optional<PickleRef> found;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (as_string(items[i]) == key) found = items[i + 1];
  }
  return found;
}

std::string PickleDocument::describe(PickleRef ref, int max_depth, size_t max_chars) const {
  std::string out;
  describe_into(ref, max_depth, max_chars, out);
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

void PickleDocument::describe_into(PickleRef ref, int depth_left, size_t max_chars, std::string& out) const {
  if (out.size() > max_chars) return;
  if (!valid(ref)) {
    out += "<missing>";
    return;
  }
  const PickleValue& value = at(ref);
  switch (value.kind) {
    case PickleKind::kNone: out += "None"; return;
    case PickleKind::kBool: out += value.boolean ? "True" : "False"; return;
    case PickleKind::kInt: out += std::to_string(value.integer); return;
    case PickleKind::kBigInt: out += "<" + std::to_string(value.text.size()) + "-byte int>"; return;
    case PickleKind::kFloat: {
      std::ostringstream s;
      s << value.real;
      out += s.str();
      return;
    }
    case PickleKind::kString: out += "'" + value.text.substr(0, 40) + "'"; return;
    case PickleKind::kBytes: out += "<" + std::to_string(value.text.size()) + " bytes>"; return;
    case PickleKind::kGlobal: out += value.text; return;
    default: break;
  }
  const char* open = "(";
  const char* close = ")";
  if (value.kind == PickleKind::kList) open = "[", close = "]";
  if (value.kind == PickleKind::kDict || value.kind == PickleKind::kSet) open = "{", close = "}";
  if (value.kind == PickleKind::kObject) {
    describe_into(value.callable, depth_left - 1, max_chars, out);
    if (depth_left <= 0) {
      out += "(...)";
      return;
    }
    describe_into(value.args, depth_left - 1, max_chars, out);
    return;
  }
  if (value.kind == PickleKind::kPersistentId) {
    out += "persistent_id";
    open = "<", close = ">";
    out += open;
    if (depth_left > 0) describe_into(value.args, depth_left - 1, max_chars, out);
    out += close;
    return;
  }
  out += open;
  if (depth_left <= 0) {
    out += value.items.empty() ? "" : "...";
  } else {
    for (size_t i = 0; i < value.items.size() && out.size() <= max_chars; ++i) {
      if (i > 0) out += (value.kind == PickleKind::kDict && i % 2 == 1) ? ": " : ", ";
      describe_into(value.items[i], depth_left - 1, max_chars, out);
    }
  }
  out += close;
}

}  // namespace gramlite::interop
