// Writing files and folders so that they are either complete or absent: never half-written.
//
// Everything goes to a new hidden temporary ".<name>.tmp-<pid>-<n>" in the target's own folder (a
// rename is only atomic within one file system) and is renamed over the target when complete; on
// any failure it is removed, and a program that handles SIGINT / SIGTERM removes it too
// (base/temp_paths.h). A process killed outright (SIGKILL, power loss) leaves the old target (or
// none) plus its temporary; the next writer of the same target removes the temporaries of
// processes that no longer run (remove_stale_temporaries).
//
// Errors: the operating system's refusals are kIoError ("cannot write 'x': No space left on
// device"), a missing folder included: kNotFound is for missing inputs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gramlite/base/byte_span.h"
#include "gramlite/base/status.h"

namespace gramlite {

class ScopedTempPath;

// Writes the concatenation of `pieces` to `path` atomically, flushed to disk (fsync) before the
// rename. The new file gets mode 0666 minus the umask, like any newly created file.
Status write_file_atomically(const std::string& path, const std::vector<ByteSpan>& pieces);

// The same for one text (logs, tables, plots).
Status write_text_file_atomically(const std::string& path, std::string_view text);

// A file that another library writes by name (libtiff, OpenCV's imwrite, a std::ofstream): it is
// written at temp_path() and renamed to path() by commit(). The destructor removes the temporary
// unless commit() succeeded.
class PendingFile {
 public:
  // Reserves (creates empty) a temporary next to `path`; `suffix` is appended to its name for
  // writers that choose the format by extension (".png").
  static Result<PendingFile> create(const std::string& path, const std::string& suffix = "");
  PendingFile(PendingFile&& other) noexcept;
  PendingFile& operator=(PendingFile&&) = delete;
  ~PendingFile();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  // Renames the temporary over path() (replacing a file there).
  Status commit();

 private:
  PendingFile(std::string path, std::string temp_path);
  std::string path_;
  std::string temp_path_;
  std::unique_ptr<ScopedTempPath> registration_;
  bool done_ = false;
};

// A folder built under a temporary name and renamed to path() by commit(): either the complete
// folder appears or none does. Create files inside it with write_under_temp_lock()
// (base/temp_paths.h), so that an interrupt removing it cannot race with them.
class PendingFolder {
 public:
  // Creates the temporary folder next to `path`. `path` must not exist or be an empty folder;
  // this is checked here and again by commit()'s rename.
  static Result<PendingFolder> create(const std::string& path);
  PendingFolder(PendingFolder&& other) noexcept;
  PendingFolder& operator=(PendingFolder&&) = delete;
  ~PendingFolder();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  // Renames the temporary folder to path() (replacing an empty folder there).
  Status commit();

 private:
  PendingFolder(std::string path, std::string temp_path);
  std::string path_;
  std::string temp_path_;
  std::unique_ptr<ScopedTempPath> registration_;
  bool done_ = false;
};

// "dir/name" -> "dir/.name.tmp-": what every temporary for `path` starts with.
std::string temporary_prefix_for(const std::string& path);

// Removes the temporaries for `path` (files or folders) left by processes that no longer run:
// names "<prefix><pid>-..." whose pid is not alive. Temporaries of live processes, including
// this one, are left alone. Best effort; returns how many it removed.
int remove_stale_temporaries(const std::string& path);

}  // namespace gramlite
