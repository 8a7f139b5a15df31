#include "qsmtk/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>

namespace qsmtk::log {
namespace {
Level g_level = Level::normal;
std::mutex g_mutex;
std::ofstream g_file, g_scan_file;

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void emit(const std::string& line, bool to_terminal) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (to_terminal) std::fprintf(stderr, "%s\n", line.c_str());
  if (g_file.is_open()) g_file << line << '\n' << std::flush;
  if (g_scan_file.is_open()) g_scan_file << line << '\n' << std::flush;
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

namespace {
void reopen(std::ofstream& f, const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (f.is_open()) f.close();
  if (!path.empty()) f.open(path, std::ios::app);
}
}  // namespace

void set_file(const std::string& path) { reopen(g_file, path); }
void set_scan_file(const std::string& path) { reopen(g_scan_file, path); }

void info(const std::string& msg) { emit(msg, g_level >= Level::normal); }
void warn(const std::string& msg) { emit("warning: " + msg, true); }
void error(const std::string& msg) { emit("error: " + msg, true); }
void verbose(const std::string& msg) { emit(msg, g_level >= Level::verbose); }
void error_to_files(const std::string& msg) { emit("error: " + msg, false); }

Progress::Progress(std::string step, int64_t total) : step_(std::move(step)), total_(total), start_(now_s()) {
  update(0);
}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done) {
  if (finished_ || total_ <= 0) return;
  const int pct = static_cast<int>(100 * std::min(done, total_) / total_);
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (tty && g_level >= Level::normal) {
    if (pct == last_shown_) return;
    const int width = 30, filled = pct * width / 100;
    std::fprintf(stderr, "\r%-28s [%s%s] %3d%%", step_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), pct);
    std::fflush(stderr);
    last_shown_ = pct;
  } else {
    const int decile = pct / 10 * 10;
    if (decile == last_shown_) return;
    last_shown_ = decile;
    char line[256];
    std::snprintf(line, sizeof line, "%s: %d%%", step_.c_str(), decile);
    if (g_level >= Level::normal) std::fprintf(stderr, "%s\n", line);
    if (g_file.is_open()) g_file << line << '\n' << std::flush;
  if (g_scan_file.is_open()) g_scan_file << line << '\n' << std::flush;
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  char line[256];
  std::snprintf(line, sizeof line, "%s: done in %.1f s", step_.c_str(), now_s() - start_);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_level >= Level::normal) {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", line);
  }
  if (g_file.is_open()) g_file << line << '\n' << std::flush;
  if (g_scan_file.is_open()) g_scan_file << line << '\n' << std::flush;
}

}  // namespace qsmtk::log
