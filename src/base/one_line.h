// Text from third-party libraries (the ONNX checker, OpenCV, libtiff) spans lines, ends in a
// newline or carries tabs; a gramlite error is one line. one_line() folds such text where it
// enters a Status, so the message stays one line wherever it is printed.
#pragma once

#include <string>
#include <string_view>

namespace gramlite {

// Every run of whitespace (newlines, tabs, carriage returns, spaces) becomes one space; leading and
// trailing whitespace goes; other control characters become '?'.
inline std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += (u < 0x20 || u == 0x7F) ? '?' : c;
  }
  return out;
}

}  // namespace gramlite
