// Writing a file so that it is either complete or absent: never half-written.
//
// The bytes go to a new temporary file in the target's own folder (a rename is only atomic within
// one file system), are flushed to disk (fsync), and the temporary file is then renamed over the
// target; on any failure it is removed. A crash at any point leaves the old file (or none) at
// `path`, plus at worst a stray ".<name>.tmp-*" file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/byte_span.h"

namespace gramlite::format {

// Writes the concatenation of `pieces` to `path` atomically. The new file gets mode 0666 minus
// the umask, like any newly created file.
Status write_file_atomically(const std::string& path, const std::vector<ByteSpan>& pieces);

// The same for one text (logs, tables, plots).
Status write_text_file_atomically(const std::string& path, std::string_view text);

}  // namespace gramlite::format
