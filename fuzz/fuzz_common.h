#pragma once
// Shared by the fuzz targets: a private temporary folder per process, removed at exit.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace qsmtk_fuzz {

/// A folder of this process's own under $TMPDIR (or /tmp), created on first use and removed when
/// the process exits normally. libFuzzer's -fork and -jobs workers are processes, so each has one.
inline const std::string& temp_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/qsmtk-fuzz.XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("qsmtk fuzz: mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  // Registered after `dir` is built, so it runs before `dir` is destroyed.
  static const bool cleanup = (std::atexit([] {
                                 std::error_code ec;
                                 std::filesystem::remove_all(dir, ec);
                               }),
                               true);
  (void)cleanup;
  return dir;
}

/// Writes `size` bytes to `path`; aborts on failure (a broken harness must not look like a pass).
inline void write_file(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("qsmtk fuzz: cannot write " + path).c_str());
    std::abort();
  }
}

}  // namespace qsmtk_fuzz
