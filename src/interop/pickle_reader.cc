#include "interop/pickle_reader.h"

#include <cstring>
#include <locale>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "base/byte_reader.h"

namespace gramlite::interop {
namespace {

// Opcode bytes, named as in CPython's Lib/pickle.py.
enum Op : uint8_t {
  kMark = '(', kStop = '.', kPop = '0', kPopMark = '1', kDup = '2', kFloat = 'F', kInt = 'I',
  kBinInt = 'J', kBinInt1 = 'K', kLong = 'L', kBinInt2 = 'M', kNone = 'N', kPersId = 'P',
  kBinPersId = 'Q', kReduce = 'R', kString = 'S', kBinString = 'T', kShortBinString = 'U',
  kUnicode = 'V', kBinUnicode = 'X', kAppend = 'a', kBuild = 'b', kGlobal = 'c', kDict = 'd',
  kEmptyDict = '}', kAppends = 'e', kGet = 'g', kBinGet = 'h', kInst = 'i', kLongBinGet = 'j',
  kList = 'l', kEmptyList = ']', kObj = 'o', kPut = 'p', kBinPut = 'q', kLongBinPut = 'r',
  kSetItem = 's', kTuple = 't', kEmptyTuple = ')', kSetItems = 'u', kBinFloat = 'G',
  kProto = 0x80, kNewObj = 0x81, kExt1 = 0x82, kExt2 = 0x83, kExt4 = 0x84, kTuple1 = 0x85,
  kTuple2 = 0x86, kTuple3 = 0x87, kNewTrue = 0x88, kNewFalse = 0x89, kLong1 = 0x8a, kLong4 = 0x8b,
  kBinBytes = 'B', kShortBinBytes = 'C', kShortBinUnicode = 0x8c, kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e, kEmptySet = 0x8f, kAddItems = 0x90, kFrozenSet = 0x91, kNewObjEx = 0x92,
  kStackGlobal = 0x93, kMemoize = 0x94, kFrame = 0x95, kByteArray8 = 0x96, kNextBuffer = 0x97,
  kReadonlyBuffer = 0x98,
};

constexpr int kHighestProtocol = 5;

const char* opcode_name(uint8_t op) {
  switch (op) {
    case kMark: return "MARK";
    case kStop: return "STOP";
    case kPop: return "POP";
    case kPopMark: return "POP_MARK";
    case kDup: return "DUP";
    case kFloat: return "FLOAT";
    case kInt: return "INT";
    case kBinInt: return "BININT";
    case kBinInt1: return "BININT1";
    case kLong: return "LONG";
    case kBinInt2: return "BININT2";
    case kNone: return "NONE";
    case kPersId: return "PERSID";
    case kBinPersId: return "BINPERSID";
    case kReduce: return "REDUCE";
    case kString: return "STRING";
    case kBinString: return "BINSTRING";
    case kShortBinString: return "SHORT_BINSTRING";
    case kUnicode: return "UNICODE";
    case kBinUnicode: return "BINUNICODE";
    case kAppend: return "APPEND";
    case kBuild: return "BUILD";
    case kGlobal: return "GLOBAL";
    case kDict: return "DICT";
    case kEmptyDict: return "EMPTY_DICT";
    case kAppends: return "APPENDS";
    case kGet: return "GET";
    case kBinGet: return "BINGET";
    case kInst: return "INST";
    case kLongBinGet: return "LONG_BINGET";
    case kList: return "LIST";
    case kEmptyList: return "EMPTY_LIST";
    case kObj: return "OBJ";
    case kPut: return "PUT";
    case kBinPut: return "BINPUT";
    case kLongBinPut: return "LONG_BINPUT";
    case kSetItem: return "SETITEM";
    case kTuple: return "TUPLE";
    case kEmptyTuple: return "EMPTY_TUPLE";
    case kSetItems: return "SETITEMS";
    case kBinFloat: return "BINFLOAT";
    case kProto: return "PROTO";
    case kNewObj: return "NEWOBJ";
    case kExt1: return "EXT1";
    case kExt2: return "EXT2";
    case kExt4: return "EXT4";
    case kTuple1: return "TUPLE1";
    case kTuple2: return "TUPLE2";
    case kTuple3: return "TUPLE3";
    case kNewTrue: return "NEWTRUE";
    case kNewFalse: return "NEWFALSE";
    case kLong1: return "LONG1";
    case kLong4: return "LONG4";
    case kBinBytes: return "BINBYTES";
    case kShortBinBytes: return "SHORT_BINBYTES";
    case kShortBinUnicode: return "SHORT_BINUNICODE";
    case kBinUnicode8: return "BINUNICODE8";
    case kBinBytes8: return "BINBYTES8";
    case kEmptySet: return "EMPTY_SET";
    case kAddItems: return "ADDITEMS";
    case kFrozenSet: return "FROZENSET";
    case kNewObjEx: return "NEWOBJ_EX";
    case kStackGlobal: return "STACK_GLOBAL";
    case kMemoize: return "MEMOIZE";
    case kFrame: return "FRAME";
    case kByteArray8: return "BYTEARRAY8";
    case kNextBuffer: return "NEXT_BUFFER";
    case kReadonlyBuffer: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

std::string hex_byte(uint8_t byte) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[byte >> 4] + digits[byte & 15];
}

// Decodes a little-endian two's-complement integer of `size` bytes (LONG1 / LONG4) into `out`:
// kInt when it fits in int64, kBigInt (raw bytes) otherwise.
void decode_long(const uint8_t* bytes, size_t size, PickleValue& out) {
  if (size == 0) {
    out.kind = PickleKind::kInt;
    out.integer = 0;
    return;
  }
  const bool negative = (bytes[size - 1] & 0x80) != 0;
  const uint8_t fill = negative ? 0xFF : 0x00;
  size_t significant = size;
  // Drop redundant sign bytes, keeping one that carries the sign bit.
  while (significant > 1 && bytes[significant - 1] == fill &&
         ((bytes[significant - 2] & 0x80) != 0) == negative) {
    --significant;
  }
  if (significant > 8) {
    out.kind = PickleKind::kBigInt;
    out.text.assign(reinterpret_cast<const char*>(bytes), size);
    return;
  }
  uint64_t value = negative ? ~uint64_t{0} : 0;
  for (size_t i = 0; i < significant; ++i) {
    value &= ~(uint64_t{0xFF} << (8 * i));
    value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  }
  out.kind = PickleKind::kInt;
  std::memcpy(&out.integer, &value, sizeof(value));
}

bool parse_decimal(std::string text, int64_t& out) {
  if (!text.empty() && text.back() == 'L') text.pop_back();  // Python 2 LONG literal
  if (text.empty()) return false;
  std::istringstream stream(text);
  stream.imbue(std::locale::classic());
  stream >> out;
  return !stream.fail() && stream.eof();
}

class PickleMachine {
 public:
  PickleMachine(const uint8_t* data, size_t size, const std::string& source, const PickleLimits& limits)
      : reader_(data, size), source_(source), limits_(limits) {}

  Result<ParsedPickle> run() {
    while (true) {
      op_offset_ = reader_.position();
      if (!reader_.read_u8(op_)) {
        return corrupt_data("pickle ", source_, " ends at byte ", op_offset_,
                            " before its STOP opcode (truncated?)");
      }
      if (op_ == kStop) {
        PickleRef root = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(root));
        if (!marks_.empty()) return fail("STOP with an unclosed MARK");
        document_.set_root(root);
        ParsedPickle parsed;
        parsed.document = std::move(document_);
        parsed.bytes_consumed = reader_.position();
        return parsed;
      }
      GRAMLITE_RETURN_IF_ERROR(step());
    }
  }

 private:
  Status fail(const std::string& what) const {
    const char* name = opcode_name(op_);
    return corrupt_data("pickle ", source_, ": ", what, " (opcode ", name ? name : "?", " ", hex_byte(op_),
                        " at byte ", op_offset_, ")");
  }
  Status truncated() const { return fail("argument runs past the end of the stream (truncated?)"); }

  Status new_value(PickleValue value, PickleRef& ref) {
    if (document_.size() >= limits_.max_values) {
      return Status(StatusCode::kUnsupported,
                    str_cat("pickle ", source_, " holds more than ", limits_.max_values, " values"));
    }
    ref = document_.add(std::move(value));
    return Status::Ok();
  }
  Status push_ref(PickleRef ref) {
    if (stack_.size() >= limits_.max_stack) return fail("operand stack exceeds its limit");
    stack_.push_back(ref);
    return Status::Ok();
  }
  Status push(PickleValue value) {
    PickleRef ref = kNoPickleRef;
    GRAMLITE_RETURN_IF_ERROR(new_value(std::move(value), ref));
    return push_ref(ref);
  }
  Status push_kind(PickleKind kind) {
    PickleValue value;
    value.kind = kind;
    return push(std::move(value));
  }
  // The operand stack above the innermost MARK belongs to that MARK: plain pops may not reach below.
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Status pop(PickleRef& out) {
    if (stack_.size() <= floor()) return fail("operand stack underflow");
    out = stack_.back();
    stack_.pop_back();
    return Status::Ok();
  }
  Status top(PickleRef& out) const {
    if (stack_.size() <= floor()) return fail("operand stack underflow");
    out = stack_.back();
    return Status::Ok();
  }
  Status pop_mark(std::vector<PickleRef>& items) {
    if (marks_.empty()) return fail("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    items.assign(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return Status::Ok();
  }

  Status read_line(std::string& line) {
    line.clear();
    uint8_t byte = 0;
    while (reader_.read_u8(byte)) {
      if (byte == '\n') return Status::Ok();
      if (line.size() >= limits_.max_line) return fail("text argument longer than its limit");
      line.push_back(static_cast<char>(byte));
    }
    return truncated();
  }
  Status read_length(int bytes, uint64_t& length) {
    bool ok = false;
    if (bytes == 1) {
      uint8_t v = 0;
      ok = reader_.read_u8(v);
      length = v;
    } else if (bytes == 4) {
      uint32_t v = 0;
      ok = reader_.read_u32(v);
      length = v;
    } else {
      ok = reader_.read_u64(length);
    }
    if (!ok) return truncated();
    if (length > reader_.remaining()) return truncated();
    return Status::Ok();
  }
  Status push_text(PickleKind kind, int length_bytes) {
    uint64_t length = 0;
    GRAMLITE_RETURN_IF_ERROR(read_length(length_bytes, length));
    PickleValue value;
    value.kind = kind;
    reader_.read_string(length, value.text);
    return push(std::move(value));
  }
  Status push_int(int64_t integer) {
    PickleValue value;
    value.kind = PickleKind::kInt;
    value.integer = integer;
    return push(std::move(value));
  }
  Status push_bool(bool b) {
    PickleValue value;
    value.kind = PickleKind::kBool;
    value.boolean = b;
    return push(std::move(value));
  }
  Status push_sequence(PickleKind kind, std::vector<PickleRef> items) {
    PickleValue value;
    value.kind = kind;
    value.items = std::move(items);
    return push(std::move(value));
  }
  Status push_global(const std::string& module, const std::string& name) {
    PickleValue value;
    value.kind = PickleKind::kGlobal;
    value.text = module + "." + name;
    return push(std::move(value));
  }

  Status memo_put(uint64_t index) {
    PickleRef ref = kNoPickleRef;
    GRAMLITE_RETURN_IF_ERROR(top(ref));
    if (memo_.size() >= limits_.max_values && memo_.count(index) == 0) return fail("memo exceeds its limit");
    memo_[index] = ref;
    return Status::Ok();
  }
  Status memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return fail(str_cat("memo key ", index, " was never stored"));
    return push_ref(it->second);
  }

  // SETITEM(S) into a dict, or into an object whose class implements __setitem__.
  Status set_items(PickleRef target, const std::vector<PickleRef>& pairs) {
    if (pairs.size() % 2 != 0) return fail("odd number of keys and values");
    PickleValue& value = document_.mutable_at(target);
    if (value.kind != PickleKind::kDict && value.kind != PickleKind::kObject) {
      return fail(str_cat("cannot set items on a ", pickle_kind_name(value.kind)));
    }
    value.items.insert(value.items.end(), pairs.begin(), pairs.end());
    return Status::Ok();
  }
  Status append_items(PickleRef target, const std::vector<PickleRef>& items, PickleKind wanted) {
    PickleValue& value = document_.mutable_at(target);
    if (value.kind != wanted && value.kind != PickleKind::kObject) {
      return fail(str_cat("cannot append to a ", pickle_kind_name(value.kind)));
    }
    value.items.insert(value.items.end(), items.begin(), items.end());
    return Status::Ok();
  }

  // Python 2's OrderedDict pickles its items as one argument, a list of [key, value] pairs (old
  // legacy torch files); Python 3's passes no arguments and SETITEMS follow.
  bool ordered_dict_pairs(PickleRef args, std::vector<PickleRef>& flat) const {
    const PickleValue& arguments = document_.at(args);
    if (arguments.items.empty()) return true;
    if (arguments.items.size() != 1) return false;
    const std::vector<PickleRef>* pairs = document_.as_sequence(arguments.items[0]);
    if (pairs == nullptr) return false;
    for (PickleRef pair : *pairs) {
      const std::vector<PickleRef>* kv = document_.as_sequence(pair);
      if (kv == nullptr || kv->size() != 2) return false;
      flat.insert(flat.end(), kv->begin(), kv->end());
    }
    return true;
  }

  Status reduce(PickleRef callable, PickleRef args) {
    const PickleValue& callee = document_.at(callable);
    std::vector<PickleRef> pairs;
    if (callee.kind == PickleKind::kGlobal && callee.text == "collections.OrderedDict" &&
        ordered_dict_pairs(args, pairs)) {
      return push_sequence(PickleKind::kDict, std::move(pairs));
    }
    PickleValue value;
    value.kind = PickleKind::kObject;
    value.callable = callable;
    value.args = args;
    return push(std::move(value));
  }

  Status step() {
    switch (op_) {
      case kProto: {
        uint8_t version = 0;
        if (!reader_.read_u8(version)) return truncated();
        if (version > kHighestProtocol) return fail(str_cat("unsupported pickle protocol ", int{version}));
        return Status::Ok();
      }
      case kFrame: {
        // Framing only groups opcodes for buffered reading; the opcodes follow inline.
        uint64_t length = 0;
        return read_length(8, length);
      }
      case kMark:
        if (marks_.size() >= limits_.max_marks) return fail("MARKs nested deeper than the limit");
        marks_.push_back(stack_.size());
        return Status::Ok();
      case kPop: {
        if (stack_.size() > floor()) {
          stack_.pop_back();
          return Status::Ok();
        }
        // POP with nothing above a MARK discards the MARK itself.
        std::vector<PickleRef> ignored;
        return pop_mark(ignored);
      }
      case kPopMark: {
        std::vector<PickleRef> ignored;
        return pop_mark(ignored);
      }
      case kDup: {
        PickleRef ref = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(top(ref));
        return push_ref(ref);
      }
      case kNone: return push_kind(PickleKind::kNone);
      case kNewTrue: return push_bool(true);
      case kNewFalse: return push_bool(false);
      case kBinInt: {
        uint32_t raw = 0;
        if (!reader_.read_u32(raw)) return truncated();
        int32_t value = 0;
        std::memcpy(&value, &raw, sizeof(value));
        return push_int(value);
      }
      case kBinInt1: {
        uint8_t raw = 0;
        if (!reader_.read_u8(raw)) return truncated();
        return push_int(raw);
      }
      case kBinInt2: {
        uint16_t raw = 0;
        if (!reader_.read_u16(raw)) return truncated();
        return push_int(raw);
      }
      case kLong1:
      case kLong4: {
        uint64_t length = 0;
        GRAMLITE_RETURN_IF_ERROR(read_length(op_ == kLong1 ? 1 : 4, length));
        PickleValue value;
        decode_long(reader_.take(length), static_cast<size_t>(length), value);
        return push(std::move(value));
      }
      case kInt:
      case kLong: {
        std::string line;
        GRAMLITE_RETURN_IF_ERROR(read_line(line));
        if (op_ == kInt && line == "01") return push_bool(true);  // protocol 0 booleans
        if (op_ == kInt && line == "00") return push_bool(false);
        int64_t value = 0;
        if (!parse_decimal(line, value)) return fail("malformed or out-of-range integer literal");
        return push_int(value);
      }
      case kBinFloat: {
        uint64_t big_endian = 0;
        const uint8_t* bytes = reader_.take(8);
        if (bytes == nullptr) return truncated();
        for (int i = 0; i < 8; ++i) big_endian = (big_endian << 8) | bytes[i];
        PickleValue value;
        value.kind = PickleKind::kFloat;
        std::memcpy(&value.real, &big_endian, sizeof(value.real));
        return push(std::move(value));
      }
      case kFloat: {
        std::string line;
        GRAMLITE_RETURN_IF_ERROR(read_line(line));
        std::istringstream stream(line);
        stream.imbue(std::locale::classic());
        PickleValue value;
        value.kind = PickleKind::kFloat;
        stream >> value.real;
        if (stream.fail()) return fail("malformed float literal");
        return push(std::move(value));
      }
      case kBinUnicode: return push_text(PickleKind::kString, 4);
      case kShortBinUnicode: return push_text(PickleKind::kString, 1);
      case kBinUnicode8: return push_text(PickleKind::kString, 8);
      // Python 2 byte strings: torch.load decodes them as text (encoding="utf-8"/"latin1").
      case kBinString: return push_text(PickleKind::kString, 4);
      case kShortBinString: return push_text(PickleKind::kString, 1);
      case kBinBytes: return push_text(PickleKind::kBytes, 4);
      case kShortBinBytes: return push_text(PickleKind::kBytes, 1);
      case kBinBytes8:
      case kByteArray8: return push_text(PickleKind::kBytes, 8);
      case kEmptyTuple: return push_sequence(PickleKind::kTuple, {});
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t count = static_cast<size_t>(op_ - kTuple1 + 1);
        std::vector<PickleRef> items(count);
        for (size_t i = count; i-- > 0;) GRAMLITE_RETURN_IF_ERROR(pop(items[i]));
        return push_sequence(PickleKind::kTuple, std::move(items));
      }
      case kTuple:
      case kList:
      case kFrozenSet: {
        std::vector<PickleRef> items;
        GRAMLITE_RETURN_IF_ERROR(pop_mark(items));
        const PickleKind kind =
            op_ == kTuple ? PickleKind::kTuple : op_ == kList ? PickleKind::kList : PickleKind::kSet;
        return push_sequence(kind, std::move(items));
      }
      case kEmptyList: return push_kind(PickleKind::kList);
      case kEmptyDict: return push_kind(PickleKind::kDict);
      case kEmptySet: return push_kind(PickleKind::kSet);
      case kDict: {
        std::vector<PickleRef> items;
        GRAMLITE_RETURN_IF_ERROR(pop_mark(items));
        if (items.size() % 2 != 0) return fail("odd number of keys and values");
        return push_sequence(PickleKind::kDict, std::move(items));
      }
      case kAppend: {
        PickleRef item = kNoPickleRef, list = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(item));
        GRAMLITE_RETURN_IF_ERROR(top(list));
        return append_items(list, {item}, PickleKind::kList);
      }
      case kAppends:
      case kAddItems: {
        std::vector<PickleRef> items;
        GRAMLITE_RETURN_IF_ERROR(pop_mark(items));
        PickleRef target = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(top(target));
        return append_items(target, items, op_ == kAppends ? PickleKind::kList : PickleKind::kSet);
      }
      case kSetItem: {
        PickleRef key = kNoPickleRef, value = kNoPickleRef, dict = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(value));
        GRAMLITE_RETURN_IF_ERROR(pop(key));
        GRAMLITE_RETURN_IF_ERROR(top(dict));
        return set_items(dict, {key, value});
      }
      case kSetItems: {
        std::vector<PickleRef> pairs;
        GRAMLITE_RETURN_IF_ERROR(pop_mark(pairs));
        PickleRef dict = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(top(dict));
        return set_items(dict, pairs);
      }
      case kGlobal: {
        std::string module, name;
        GRAMLITE_RETURN_IF_ERROR(read_line(module));
        GRAMLITE_RETURN_IF_ERROR(read_line(name));
        return push_global(module, name);
      }
      case kStackGlobal: {
        PickleRef module = kNoPickleRef, name = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(name));
        GRAMLITE_RETURN_IF_ERROR(pop(module));
        auto module_text = document_.as_string(module);
        auto name_text = document_.as_string(name);
        if (!module_text || !name_text) return fail("module and name must be strings");
        return push_global(std::string(*module_text), std::string(*name_text));
      }
      case kReduce:
      case kNewObj: {
        PickleRef callable = kNoPickleRef, args = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(args));
        GRAMLITE_RETURN_IF_ERROR(pop(callable));
        if (document_.at(args).kind != PickleKind::kTuple) return fail("arguments must be a tuple");
        return reduce(callable, args);
      }
      case kNewObjEx: {
        PickleRef callable = kNoPickleRef, args = kNoPickleRef, kwargs = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(kwargs));
        GRAMLITE_RETURN_IF_ERROR(pop(args));
        GRAMLITE_RETURN_IF_ERROR(pop(callable));
        if (document_.at(args).kind != PickleKind::kTuple) return fail("arguments must be a tuple");
        PickleValue value;
        value.kind = PickleKind::kObject;
        value.callable = callable;
        value.args = args;
        value.state = kwargs;  // no consumer needs keyword arguments; keep them visible
        return push(std::move(value));
      }
      case kBuild: {
        PickleRef state = kNoPickleRef, target = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(state));
        GRAMLITE_RETURN_IF_ERROR(top(target));
        PickleValue& value = document_.mutable_at(target);
        if (value.kind != PickleKind::kObject && value.kind != PickleKind::kDict &&
            value.kind != PickleKind::kList) {
          return fail(str_cat("cannot BUILD a ", pickle_kind_name(value.kind)));
        }
        value.state = state;
        return Status::Ok();
      }
      case kBinPersId: {
        PickleRef id = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(pop(id));
        PickleValue value;
        value.kind = PickleKind::kPersistentId;
        value.args = id;
        return push(std::move(value));
      }
      case kPersId: {
        PickleValue id;
        id.kind = PickleKind::kString;
        GRAMLITE_RETURN_IF_ERROR(read_line(id.text));
        PickleRef id_ref = kNoPickleRef;
        GRAMLITE_RETURN_IF_ERROR(new_value(std::move(id), id_ref));
        PickleValue value;
        value.kind = PickleKind::kPersistentId;
        value.args = id_ref;
        return push(std::move(value));
      }
      case kBinPut: {
        uint8_t index = 0;
        if (!reader_.read_u8(index)) return truncated();
        return memo_put(index);
      }
      case kLongBinPut: {
        uint32_t index = 0;
        if (!reader_.read_u32(index)) return truncated();
        return memo_put(index);
      }
      case kMemoize: return memo_put(memo_.size());
      case kBinGet: {
        uint8_t index = 0;
        if (!reader_.read_u8(index)) return truncated();
        return memo_get(index);
      }
      case kLongBinGet: {
        uint32_t index = 0;
        if (!reader_.read_u32(index)) return truncated();
        return memo_get(index);
      }
      case kPut:
      case kGet: {
        std::string line;
        GRAMLITE_RETURN_IF_ERROR(read_line(line));
        int64_t index = 0;
        if (!parse_decimal(line, index) || index < 0) return fail("malformed memo index");
        return op_ == kPut ? memo_put(static_cast<uint64_t>(index)) : memo_get(static_cast<uint64_t>(index));
      }
      case kString:
      case kUnicode:
      case kInst:
      case kObj:
      case kExt1:
      case kExt2:
      case kExt4:
      case kNextBuffer:
      case kReadonlyBuffer:
        return Status(StatusCode::kUnsupported,
                      str_cat("pickle ", source_, ": opcode ", opcode_name(op_), " (", hex_byte(op_), ") at byte ",
                              op_offset_, " is valid pickle but not supported by this reader"));
      default:
        return corrupt_data("pickle ", source_, ": unknown opcode ", hex_byte(op_), " at byte ", op_offset_,
                            " (corrupt stream, or not a pickle)");
    }
  }

  ByteReader reader_;
  const std::string& source_;
  const PickleLimits& limits_;
  PickleDocument document_;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;  // stack heights at each open MARK
  std::unordered_map<uint64_t, PickleRef> memo_;
  uint8_t op_ = 0;
  size_t op_offset_ = 0;
};

}  // namespace

Result<ParsedPickle> parse_pickle(const uint8_t* data, size_t size, const std::string& source,
                                  const PickleLimits& limits) {
  PickleMachine machine(data, size, source, limits);
  return machine.run();
}

}  // namespace gramlite::interop
