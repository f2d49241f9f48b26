#include "gramlite/ir/attributes.h"

#include <utility>

#include "gramlite/ir/op_traits.h"

namespace gramlite::ir {
namespace {

template <size_t... I>
Attributes make_alternative(size_t index, std::index_sequence<I...> /*unused*/) {
  Attributes out;
  // Exactly one I equals index (the table's static_assert keeps indices in range).
  (void)((index == I ? (out.emplace<I>(), true) : false) || ...);
  return out;
}

}  // namespace

size_t expected_attributes_index(OpKind kind) { return op_traits(kind).attributes_index; }

Attributes default_attributes(OpKind kind) {
  return make_alternative(expected_attributes_index(kind), std::make_index_sequence<std::variant_size_v<Attributes>>{});
}

}  // namespace gramlite::ir
