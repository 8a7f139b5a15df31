#include "qsmtk/io/output_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace qsmtk {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + ": " + what);
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

/// Writes and removes a probe file: access(W_OK) says yes to root on a read-only file system and
/// knows nothing of quotas or ACLs.
void probe_writable(const fs::path& dir, const std::string& shown) {
  const fs::path probe = dir / (".qsmtk-write-test-" + std::to_string(getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return;  // another qsmtk of this pid's number is probing: the folder takes files
    refuse(shown, std::string("the output folder is not writable (") + std::strerror(err) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_folder_usable(const fs::path& dir, const std::string& shown) {
  const fs::path target = dir.empty() ? fs::path(".") : dir;
  // The nearest folder that exists: the one the output folder will be created in.
  fs::path existing = target;
  std::error_code ec;
  while (!fs::exists(existing, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      refuse(shown, "the output folder cannot be checked (" + ec.message() + ")");
    const fs::path parent = existing.has_parent_path() ? existing.parent_path() : fs::path(".");
    if (parent == existing) break;
    existing = parent;
  }
  const bool is_target = existing == target;
  if (!fs::is_directory(existing, ec)) {
    if (is_target) refuse(shown, "exists and is not a folder");
    refuse(shown, "cannot be created: " + existing.string() + " is not a folder");
  }
  const std::string where = is_target ? shown : shown + " (to be created in " + existing.string() + ")";
  if (DIR* d = ::opendir(existing.c_str())) {
    ::closedir(d);
  } else {
    refuse(where, std::string("the output folder is not readable (") + std::strerror(errno) + ")");
  }
  probe_writable(existing, where);
}

}  // namespace

void check_output_folder(const std::string& dir, const std::vector<std::string>& inputs) {
  if (dir.empty()) refuse("(empty)", "no output folder given");
  const fs::path out(dir);
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    std::error_code ec;
    const fs::path in(input);
    const fs::path folder = fs::is_directory(in, ec) ? in : (in.has_parent_path() ? in.parent_path() : fs::path("."));
    if (same_file(out, folder))
      refuse(dir, (folder == in ? "the output folder is the input folder" : "the output folder holds the input " + input) +
                      "; results would mix with the data they came from; choose another");
  }
  check_folder_usable(out, dir);
}

void check_output_file(const std::string& path, const std::vector<std::string>& inputs) {
  if (path.empty()) refuse("(empty)", "no output file given");
  const fs::path out(path);
  std::error_code ec;
  if (fs::is_directory(out, ec)) refuse(path, "is a folder; give a file name for this output");
  for (const std::string& input : inputs)
    if (!input.empty() && same_file(out, input))
      refuse(path, "this output would overwrite the input " + input + "; choose another name");
  check_folder_usable(out.has_parent_path() ? out.parent_path() : fs::path("."), path);
}

}  // namespace qsmtk
