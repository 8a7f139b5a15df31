#include "qsmtk/io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace qsmtk {
namespace {
// Fixed-size table of pending temporary paths that a signal handler can walk without locks.
constexpr int kSlots = 256;
constexpr int kPathMax = 4096;
char g_pending[kSlots][kPathMax];
std::atomic<bool> g_used[kSlots];   // slot claimed by a writer
std::atomic<bool> g_ready[kSlots];  // path complete: a signal handler may read it
std::atomic<unsigned> g_counter{0};

int register_pending(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_pending[i], path.c_str(), path.size() + 1);
      g_ready[i].store(true);  // only now, so a handler never reads a half-copied path
      return i;
    }
  }
  return -1;
}

void unregister_pending(int slot) {
  if (slot < 0) return;
  g_ready[slot].store(false);
  g_pending[slot][0] = 0;
  g_used[slot].store(false);
}

std::string extension_of(const std::string& name) {
  for (const char* ext : {".nii.gz", ".tsv.gz", ".json", ".nii", ".tsv", ".html", ".png", ".gz", ".txt"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return e;
  }
  return "";
}
}  // namespace

AtomicOutput::AtomicOutput(std::string final_path) : final_(std::move(final_path)) {
  namespace fs = std::filesystem;
  const fs::path p(final_);
  const std::string ext = extension_of(p.filename().string());
  const std::string stem = p.filename().string().substr(0, p.filename().string().size() - ext.size());
  temp_ = (p.parent_path() / ("." + stem + ".tmp-" + std::to_string(getpid()) + "-" +
                              std::to_string(g_counter.fetch_add(1)) + ext))
              .string();
  slot_ = register_pending(temp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(temp_.c_str());
  unregister_pending(slot_);
}

void AtomicOutput::commit() {
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    throw std::runtime_error(final_ + ": cannot move the finished output into place: " + std::strerror(errno));
  committed_ = true;
}

void remove_pending_outputs_signal_safe() {
  for (int i = 0; i < kSlots; ++i)
    if (g_ready[i].load() && g_pending[i][0]) unlink(g_pending[i]);
}

void make_directories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create folder: " + ec.message());
}

}  // namespace qsmtk
