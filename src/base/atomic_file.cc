#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "base/temp_paths.h"

namespace gramlite::format {
namespace {

Status os_error(const std::string& what, const std::string& path, int error) {
  return io_error("cannot ", what, " '", path, "': ", std::strerror(error));
}

// "dir/model.gramlite" -> ("dir", "model.gramlite"); "model.gramlite" -> (".", "model.gramlite").
std::pair<std::string, std::string> split_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
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

// Creates a fresh temporary file next to `path`: O_EXCL so that two writers (threads or
// processes) never share one, a counter and the pid so that names rarely collide at all.
Result<std::pair<int, std::string>> create_temporary(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const auto [folder, base] = split_path(path);
  const std::string prefix = (folder == "/" ? "/" : folder + "/") + "." + base + ".tmp-";
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string candidate = str_cat(prefix, ::getpid(), "-", counter.fetch_add(1));
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return std::make_pair(fd, candidate);
    if (errno == EEXIST || errno == EINTR) continue;
    return os_error("create a file in the folder of", path, errno);
  }
  return io_error("cannot find a free temporary name next to '", path, "'");
}

// Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder.
void sync_folder(const std::string& path) {
  const int fd = ::open(split_path(path).first.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::vector<ByteSpan>& pieces) {
  GRAMLITE_ASSIGN_OR_RETURN(const auto temporary, create_temporary(path));
  const auto& [fd, temp_path] = temporary;
  const ScopedTempPath interrupt_cleanup(temp_path);  // an interrupted program removes it (base/temp_paths.h)
  Status status;
  for (const ByteSpan& piece : pieces) {
    status = write_all(fd, piece.data, piece.size, path);
    if (!status.ok()) break;
  }
  if (status.ok() && ::fsync(fd) != 0) status = os_error("flush", path, errno);
  // close() can report a deferred write error (NFS): it must succeed too.
  if (::close(fd) != 0 && status.ok()) status = os_error("close", path, errno);
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) status = os_error("replace", path, errno);
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

}  // namespace gramlite::format
