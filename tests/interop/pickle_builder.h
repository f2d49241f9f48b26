// PickleBuilder: writes pickle opcodes by hand, so tests can state exactly the stream they feed the
// reader (including malformed ones) without depending on Python.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace gramlite::interop::testing {

class PickleBuilder {
 public:
  PickleBuilder& op(uint8_t code) {
    bytes_.push_back(static_cast<char>(code));
    return *this;
  }
  PickleBuilder& raw(const std::string& data) {
    bytes_ += data;
    return *this;
  }
  PickleBuilder& u8(uint8_t v) { return op(v); }
  PickleBuilder& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  PickleBuilder& u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) op(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }

  PickleBuilder& proto(uint8_t version) { return op(0x80).u8(version); }
  PickleBuilder& stop() { return op('.'); }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& none() { return op('N'); }
  PickleBuilder& boolean(bool b) { return op(b ? 0x88 : 0x89); }
  PickleBuilder& int1(uint8_t v) { return op('K').u8(v); }
  PickleBuilder& int4(int32_t v) {
    uint32_t raw_value;
    std::memcpy(&raw_value, &v, sizeof(v));
    return op('J').u32(raw_value);
  }
  PickleBuilder& long1(const std::string& little_endian) {
    return op(0x8a).u8(static_cast<uint8_t>(little_endian.size())).raw(little_endian);
  }
  PickleBuilder& binfloat(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof(v));
    op('G');
    for (int i = 7; i >= 0; --i) op(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  PickleBuilder& str(const std::string& s) { return op('X').u32(static_cast<uint32_t>(s.size())).raw(s); }
  PickleBuilder& short_str(const std::string& s) { return op(0x8c).u8(static_cast<uint8_t>(s.size())).raw(s); }
  PickleBuilder& bytes(const std::string& s) { return op('B').u32(static_cast<uint32_t>(s.size())).raw(s); }
  PickleBuilder& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleBuilder& put(uint8_t index) { return op('q').u8(index); }
  PickleBuilder& get(uint8_t index) { return op('h').u8(index); }
  PickleBuilder& memoize() { return op(0x94); }
  PickleBuilder& empty_dict() { return op('}'); }
  PickleBuilder& empty_list() { return op(']'); }
  PickleBuilder& empty_tuple() { return op(')'); }
  PickleBuilder& tuple() { return op('t'); }
  PickleBuilder& tuple1() { return op(0x85); }
  PickleBuilder& tuple2() { return op(0x86); }
  PickleBuilder& tuple3() { return op(0x87); }
  PickleBuilder& setitem() { return op('s'); }
  PickleBuilder& setitems() { return op('u'); }
  PickleBuilder& append() { return op('a'); }
  PickleBuilder& appends() { return op('e'); }
  PickleBuilder& reduce() { return op('R'); }
  PickleBuilder& build() { return op('b'); }
  PickleBuilder& binpersid() { return op('Q'); }

  // A tensor as torch.save pickles it: _rebuild_tensor_v2((storage pid), offset, size, stride,
  // False, OrderedDict()). `dims` and `strides` hold up to 3 entries.
  PickleBuilder& tensor(const std::string& storage_class, const std::string& key, uint8_t numel, uint8_t offset,
                        const std::string& dims, const std::string& strides) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    mark().str("storage").global("torch", storage_class).str(key).str("cpu").int1(numel).tuple().binpersid();
    int1(offset);
    mark();
    for (char d : dims) int1(static_cast<uint8_t>(d));
    tuple();
    mark();
    for (char s : strides) int1(static_cast<uint8_t>(s));
    tuple();
    boolean(false);
    global("collections", "OrderedDict").empty_tuple().reduce();
    tuple();
    return reduce();
  }

  const std::string& str_value() const { return bytes_; }
  std::string finish() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace gramlite::interop::testing
