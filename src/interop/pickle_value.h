// PickleDocument: the generic value tree a pickle stream describes, without running any Python.
//
// Values live in one flat vector owned by the document and refer to each other by index
// (PickleRef). Pickles may share values (memo) and even contain cycles, so a value graph rather
// than a tree is what a stream really encodes; indices make that safe to own (no shared_ptr cycles)
// and cheap to copy. Consumers walk only the shapes they expect and must bound any generic walk
// (describe() takes a depth limit) because a hostile stream can nest or loop arbitrarily.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gramlite::interop {

using PickleRef = uint32_t;
inline constexpr PickleRef kNoPickleRef = 0xFFFFFFFFu;

enum class PickleKind : uint8_t {
  kNone,
  kBool,
  kInt,           // fits in int64
  kBigInt,        // a LONG too wide for int64: `text` holds its little-endian two's-complement bytes
  kFloat,
  kString,        // unicode text (UTF-8), or a protocol-2 byte string, which Python 2 pickles use for str
  kBytes,
  kTuple,
  kList,
  kSet,
  kDict,          // insertion-ordered; collections.OrderedDict() is represented as a dict too
  kGlobal,        // a class or function reference: `text` is "module.qualname"
  kObject,        // the result of REDUCE / NEWOBJ: `callable` applied to `args`
  kPersistentId,  // BINPERSID: `args` is the id the pickler's persistent_id() returned
};

const char* pickle_kind_name(PickleKind kind);

struct PickleValue {
  PickleKind kind = PickleKind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;  // kString, kBytes, kBigInt (raw bytes), kGlobal (qualified name)
  // kTuple / kList / kSet: the elements. kDict: key, value, key, value, ... in insertion order.
  // kObject: key/value pairs stored into the object by SETITEM(S), or elements by APPEND(S).
  std::vector<PickleRef> items;
  PickleRef callable = kNoPickleRef;  // kObject
  PickleRef args = kNoPickleRef;      // kObject: the argument tuple; kPersistentId: the id value
  PickleRef state = kNoPickleRef;     // BUILD state applied to a kObject, kDict or kList
};

class PickleDocument {
 public:
  PickleRef root() const { return root_; }
  size_t size() const { return values_.size(); }
  const PickleValue& at(PickleRef ref) const { return values_[ref]; }
  bool valid(PickleRef ref) const { return ref < values_.size(); }

  // Convenience accessors; each returns nullopt when the value is not of the asked kind.
  std::optional<int64_t> as_int(PickleRef ref) const;  // kInt and kBool
  std::optional<double> as_float(PickleRef ref) const;  // kFloat and kInt
  std::optional<std::string_view> as_string(PickleRef ref) const;
  // Elements of a kTuple or kList.
  const std::vector<PickleRef>* as_sequence(PickleRef ref) const;
  // The qualified name of a kGlobal.
  std::optional<std::string_view> global_name(PickleRef ref) const;
  // The value stored under string key `key` in a kDict.
  std::optional<PickleRef> dict_get(PickleRef dict, std::string_view key) const;

  // A short human-readable rendering for error messages ("tuple(3): ('storage', ...)"),
  // truncated at `max_depth` levels and `max_chars` characters.
  std::string describe(PickleRef ref, int max_depth = 2, size_t max_chars = 120) const;

  // Used by the pickle reader to build the document.
  PickleRef add(PickleValue value) {
    values_.push_back(std::move(value));
    return static_cast<PickleRef>(values_.size() - 1);
  }
  PickleValue& mutable_at(PickleRef ref) { return values_[ref]; }
  void set_root(PickleRef ref) { root_ = ref; }

 private:
  void describe_into(PickleRef ref, int depth_left, size_t max_chars, std::string& out) const;

  std::vector<PickleValue> values_;
  PickleRef root_ = kNoPickleRef;
};

}  // namespace gramlite::interop
