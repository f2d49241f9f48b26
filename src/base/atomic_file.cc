#include "gramlite/base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "gramlite/base/temp_paths.h"

namespace gramlite {
namespace {

namespace fs = std::filesystem;

// Every refusal of the operating system (disk full, missing or read-only folder, permissions,
// quota) is an I/O error, never kNotFound: that code means a missing *input* (exit 3 in the CLI),
// and a disk that fills up mid-write is not one.
Status os_error(const std::string& what, const std::string& path, int error) {
  return io_error("cannot ", what, " '", path, "': ", std::strerror(error));
}

// "dir/model.gramlite" -> ("dir", "model.gramlite"); "model.gramlite" -> (".", "model.gramlite").
// Trailing slashes are dropped first ("out/" names the folder "out").
std::pair<std::string, std::string> split_path(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Status write_all(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return os_error("write", path, errno);
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return Status::Ok();
}

std::atomic<uint64_t>& temp_counter() {
  static std::atomic<uint64_t> counter{0};
  return counter;
}

// A fresh temporary name for `path`: the pid (so that stale ones can be told from live ones) and
// a counter (so that threads of one process differ).
std::string next_temporary_name(const std::string& path, const std::string& suffix) {
  return str_cat(temporary_prefix_for(path), ::getpid(), "-", temp_counter().fetch_add(1), suffix);
}

// Creates a fresh temporary file next to `path` and registers it for the interrupt cleanup, under
// the temp write lock so that the cleanup cannot run between the two. O_EXCL so that two writers
// (threads or processes) never share one.
Result<std::pair<int, std::string>> create_temporary_file(const std::string& path, const std::string& suffix,
                                                          std::unique_ptr<ScopedTempPath>& registration) {
  remove_stale_temporaries(path);
  const TempWriteLock lock;
  if (!lock.allowed()) return interrupted_error(path);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string candidate = next_temporary_name(path, suffix);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      registration = std::make_unique<ScopedTempPath>(candidate);
      return std::make_pair(fd, candidate);
    }
    if (errno == EEXIST || errno == EINTR) continue;
    return os_error("create a file in the folder of", path, errno);
  }
  return io_error("cannot find a free temporary name next to '", path, "'");
}

// Makes a rename itself durable. Best effort: some file systems refuse fsync on a folder.
void sync_folder(const std::string& path) {
  const int fd = ::open(split_path(path).first.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// The rename that publishes a temporary, under the temp write lock: after an interrupt began
// cleaning up, nothing is published any more.
Status publish(const std::string& temp_path, const std::string& path) {
  const TempWriteLock lock;
  if (!lock.allowed()) return interrupted_error(path);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int error = errno;
    if (error == ENOTEMPTY || error == EEXIST) return invalid_argument("'", path, "' exists and is not empty");
    return os_error("replace", path, error);
  }
  return Status::Ok();
}

// The interrupt path may be removing the same folder at the same moment (base/temp_paths.h).
void remove_path(const std::string& path) { remove_tree(path); }

}  // namespace

std::string temporary_prefix_for(const std::string& path) {
  const auto [folder, base] = split_path(path);
  return (folder == "/" ? "/" : folder + "/") + "." + base + ".tmp-";
}

int remove_stale_temporaries(const std::string& path) {
  const auto [folder, base] = split_path(path);
  const std::string name_prefix = "." + base + ".tmp-";
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.compare(0, name_prefix.size(), name_prefix) != 0) continue;
    // "<prefix><pid>-<n>[suffix]": the pid must be all digits and followed by '-'.
    const size_t start = name_prefix.size();
    size_t end = start;
    while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
    if (end == start || end >= name.size() || name[end] != '-' || end - start > 9) continue;
    const long pid = std::strtol(name.substr(start, end - start).c_str(), nullptr, 10);
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it runs.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    stale.push_back((folder == "/" ? "/" : folder + "/") + name);
  }
  ::closedir(dir);
  int removed = 0;
  for (const std::string& p : stale) {
    std::error_code ec;
    if (fs::remove_all(p, ec) > 0 && !ec) ++removed;
  }
  return removed;
}

Status write_file_atomically(const std::string& path, const std::vector<ByteSpan>& pieces) {
  std::unique_ptr<ScopedTempPath> registration;
  GRAMLITE_ASSIGN_OR_RETURN(const auto temporary, create_temporary_file(path, "", registration));
  const auto& [fd, temp_path] = temporary;
  Status status;
  for (const ByteSpan& piece : pieces) {
    status = write_all(fd, piece.data, piece.size, path);
    if (!status.ok()) break;
  }
  if (status.ok() && ::fsync(fd) != 0) status = os_error("flush", path, errno);
  // close() can report a deferred write error (NFS): it must succeed too.
  if (::close(fd) != 0 && status.ok()) status = os_error("close", path, errno);
  if (status.ok()) status = publish(temp_path, path);
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  sync_folder(path);
  return Status::Ok();
}

Status write_text_file_atomically(const std::string& path, std::string_view text) {
  return write_file_atomically(path, {ByteSpan{reinterpret_cast<const uint8_t*>(text.data()), text.size()}});
}

// PendingFile ---------------------------------------------------------------------------------

PendingFile::PendingFile(std::string path, std::string temp_path)
    : path_(std::move(path)), temp_path_(std::move(temp_path)) {}

PendingFile::PendingFile(PendingFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      registration_(std::move(other.registration_)),
      done_(other.done_) {
  other.done_ = true;
}

PendingFile::~PendingFile() {
  if (!done_) ::unlink(temp_path_.c_str());
}

Result<PendingFile> PendingFile::create(const std::string& path, const std::string& suffix) {
  if (path.empty()) return invalid_argument("no output file given");
  std::unique_ptr<ScopedTempPath> registration;
  GRAMLITE_ASSIGN_OR_RETURN(const auto temporary, create_temporary_file(path, suffix, registration));
  ::close(temporary.first);
  PendingFile file(path, temporary.second);
  file.registration_ = std::move(registration);
  return file;
}

Status PendingFile::commit() {
  if (done_) return internal_error("'", path_, "' was already committed");
  GRAMLITE_RETURN_IF_ERROR(publish(temp_path_, path_));
  done_ = true;
  sync_folder(path_);
  return Status::Ok();
}

// PendingFolder -------------------------------------------------------------------------------

PendingFolder::PendingFolder(std::string path, std::string temp_path)
    : path_(std::move(path)), temp_path_(std::move(temp_path)) {}

PendingFolder::PendingFolder(PendingFolder&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      registration_(std::move(other.registration_)),
      done_(other.done_) {
  other.done_ = true;
}

PendingFolder::~PendingFolder() {
  if (!done_) remove_path(temp_path_);
}

Result<PendingFolder> PendingFolder::create(const std::string& path) {
  const std::string target = without_trailing_slashes(path);
  const std::string name = split_path(target).second;
  if (target.empty() || name.empty() || name == "." || name == ".." || target == "/") {
    return invalid_argument("'", path, "' does not name a folder to create");
  }
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) return invalid_argument("'", path, "' exists and is not a folder");
    if (!fs::is_empty(target, ec)) return invalid_argument("'", path, "' exists and is not empty");
  }
  remove_stale_temporaries(target);
  const TempWriteLock lock;
  if (!lock.allowed()) return interrupted_error(path);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string candidate = next_temporary_name(target, "");
    if (::mkdir(candidate.c_str(), 0777) == 0) {
      PendingFolder folder(target, candidate);
      folder.registration_ = std::make_unique<ScopedTempPath>(candidate);
      return folder;
    }
    if (errno == EEXIST || errno == EINTR) continue;
    return os_error("create a folder next to", target, errno);
  }
  return io_error("cannot find a free temporary name next to '", target, "'");
}

Status PendingFolder::commit() {
  if (done_) return internal_error("'", path_, "' was already committed");
  GRAMLITE_RETURN_IF_ERROR(publish(temp_path_, path_));
  done_ = true;
  sync_folder(path_);
  return Status::Ok();
}

}  // namespace gramlite
