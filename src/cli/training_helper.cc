#include "cli/training_helper.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/cli_common.h"
#include "gramlite/base/status.h"

namespace gramlite::cli {
namespace {

namespace fs = std::filesystem;

bool needs_training_helper(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  for (const char* training : kTrainingCommands) {
    if (command == training) return true;
  }
  if (command != "quantize") return false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // what follows is positional
    if (arg == "--qat" || arg.rfind("--qat=", 0) == 0) return true;
  }
  return false;
}

// Next to this executable (the build tree), else in the install's libexec folder.
Result<std::string> find_training_helper() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return io_error("cannot find this executable's folder (/proc/self/exe): ", error.message());
  const fs::path beside = self.parent_path() / kTrainingHelperName;
  const fs::path installed =
      (self.parent_path() / GRAMLITE_TRAINING_HELPER_FROM_BINDIR / kTrainingHelperName).lexically_normal();
  for (const fs::path& candidate : {beside, installed}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return unsupported("this command trains with libtorch, in ", kTrainingHelperName, ", which is neither at ",
                     beside.string(), " nor at ", installed.string(),
                     " (install it with gramlite, or build with GRAMLITE_WITH_TORCH=ON)");
}

Status run_in_training_helper(char** argv) {
  GRAMLITE_ASSIGN_OR_RETURN(const std::string helper, find_training_helper());
  ::execv(helper.c_str(), argv);
  return io_error("cannot start ", helper, ": ", std::strerror(errno));
}

}  // namespace

std::optional<int> hand_over_training_command(int argc, char** argv) {
  if (!needs_training_helper(argc, argv)) return std::nullopt;
  return report_error(run_in_training_helper(argv));
}

}  // namespace gramlite::cli
