#pragma once
// Messages and progress for long steps. Everything goes to stderr (stdout is for results),
// plus an optional log file. Algorithms report through these, never through std::cout.
#include <cstdint>
#include <string>

namespace qsmtk::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };
void set_level(Level level);
Level level();
/// Also append every message (and progress milestones) to this file; "" closes it.
void set_file(const std::string& path);
/// A second file for the messages of one unit of work (a scan's log in a cohort run), beside the
/// one set_file opened; "" closes it.
void set_scan_file(const std::string& path);

void info(const std::string& msg);     // shown unless --quiet
void warn(const std::string& msg);     // always shown, prefixed "warning:"
void error(const std::string& msg);    // always shown, prefixed "error:"
void verbose(const std::string& msg);  // shown with --verbose
/// An error for the log files only, for callers that print it to the terminal once themselves.
void error_to_files(const std::string& msg);

/// Progress of one named step: a bar on a terminal, a line per 10% otherwise.
class Progress {
 public:
  Progress(std::string step, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void update(int64_t done);  // thread-safe; cheap when nothing changes on screen
  void finish();

 private:
  std::string step_;
  int64_t total_;
  int last_shown_ = -1;
  bool finished_ = false;
  double start_;
};

}  // namespace qsmtk::log
