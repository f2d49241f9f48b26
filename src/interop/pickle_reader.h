// parse_pickle: a small, non-executing pickle virtual machine (protocols 0-5, the opcodes that
// torch.save and Python's pickle emit for data) producing a PickleDocument.
//
// Nothing is imported or called: GLOBAL produces a kGlobal naming the callable, REDUCE / NEWOBJ a
// kObject recording the call, BINPERSID a kPersistentId. The one exception is
// `collections.OrderedDict()`, which becomes a kDict so that the SETITEMS that follow fill it.
//
// The VM is iterative (no recursion), and its memory is bounded by PickleLimits, so a hostile or
// corrupt stream fails with a kCorruptData / kUnsupported error naming the source, the opcode and
// its byte offset instead of exhausting the stack or the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "interop/pickle_value.h"

namespace gramlite::interop {

struct PickleLimits {
  // Values a document may hold; a state dict needs ~10 per tensor, so this is far above any real
  // checkpoint while capping memory near 100 bytes x max_values.
  size_t max_values = size_t{1} << 22;
  size_t max_stack = size_t{1} << 20;  // operand stack entries
  size_t max_marks = 1024;             // open MARKs (nesting of TUPLE/LIST/DICT literals)
  size_t max_line = 4096;              // text-mode arguments (GLOBAL, INT, PUT, ...)
};

struct ParsedPickle {
  PickleDocument document;
  size_t bytes_consumed = 0;  // up to and including STOP; the legacy torch format concatenates pickles
};

// Parses one pickle starting at `data`. `source` names the stream in errors ("'x.pth': data.pkl").
Result<ParsedPickle> parse_pickle(const uint8_t* data, size_t size, const std::string& source,
                                  const PickleLimits& limits = {});

}  // namespace gramlite::interop
