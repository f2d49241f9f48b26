// Helpers for the interop tests: temporary folders, running the Python oracle, raw float files.
//
// Python (Debian's /usr/bin/python3 with torch and torchvision) is used only at test time, to
// create torch.save files and reference outputs; tests that need it skip when it is missing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace gramlite::interop::testing {

inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string oracle_script(const std::string& name) {
  return std::string(GRAMLITE_SOURCE_DIR) + "/tests/oracle/" + name;
}

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gramlite_interop_XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `/usr/bin/python3 <args>` with output sent to `log_path`; returns the exit status (-1 if the
// shell could not run it). Tests call the oracle directly rather than probing for torch first:
// each Python start that imports torch costs over a second.
inline int run_python(const std::string& args, const std::string& log_path) {
  const std::string command = std::string(kPython) + " " + args + " > " + shell_quote(log_path) + " 2>&1";
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The oracle scripts exit with 3 when torch / torchvision cannot be imported; the shell answers
// 127 when the interpreter itself is missing. Either way the test skips rather than fails.
inline constexpr int kOracleUnavailable = 3;
inline bool means_python_unavailable(int status) { return status == kOracleUnavailable || status == 127; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<float> read_floats(const std::string& path) {
  const std::string bytes = read_text(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

inline void write_text(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// An oracle's case.txt: one "key value..." line per field.
inline std::map<std::string, std::vector<std::string>> read_case_file(const std::string& path) {
  std::map<std::string, std::vector<std::string>> fields;
  std::istringstream lines(read_text(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, word;
    words >> key;
    while (words >> word) fields[key].push_back(word);
  }
  return fields;
}

}  // namespace gramlite::interop::testing
