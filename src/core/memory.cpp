#include "qsmtk/memory.h"

#include <cstdlib>  // defines __GLIBC__ (through features.h) for the test below

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "qsmtk/aligned.h"
#include "qsmtk/strings.h"

namespace qsmtk {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks up to 1 GiB come from the heap
  mallopt(M_TRIM_THRESHOLD, -1);       // never shrink the heap's top
#endif
}

void advise_huge_pages(void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
  const std::uintptr_t b = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const std::uintptr_t e = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);  // advice only: errors ignored
#else
  (void)p, (void)bytes;
#endif
}

namespace {

std::atomic<int64_t> g_memory_limit{0};

/// The value after `key` in a "key value" or "key: value kB" file (/proc/meminfo, memory.stat).
int64_t field_of(const std::string& path, const std::string& key, int64_t unit) {
  std::ifstream in(path);
  std::string k;
  int64_t v = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (ls >> k >> v && (k == key || k == key + ":")) return v * unit;
  }
  return -1;
}

/// A file holding one number; "max" (cgroup v2: no limit) and absurd v1 "no limit" values give -1.
int64_t number_in(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!(in >> s) || s == "max") return -1;
  try {
    const long long v = std::stoll(s);
    return v <= 0 || v >= (int64_t(1) << 60) ? -1 : v;
  } catch (const std::exception&) {
    return -1;
  }
}

/// What the cgroup still allows: limit minus usage, page cache that can be dropped not counted
/// as used. -1 without a limit.
int64_t cgroup_room() {
  // v2: this process's group from /proc/self/cgroup ("0::/path"); in a container usually "/".
  std::string group = "/";
  {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("0::", 0) == 0) group = line.substr(3);
  }
  for (const std::string& dir : {"/sys/fs/cgroup" + group, std::string("/sys/fs/cgroup")}) {
    const int64_t limit = number_in(dir + "/memory.max");
    if (limit < 0) continue;
    const int64_t used = number_in(dir + "/memory.current");
    const int64_t cache = std::max<int64_t>(0, field_of(dir + "/memory.stat", "inactive_file", 1));
    return limit - std::max<int64_t>(0, used - cache);
  }
  // v1: the group's own limit or a parent's (hierarchical), the smaller; huge values mean none.
  const std::string v1 = "/sys/fs/cgroup/memory";
  int64_t limit = number_in(v1 + "/memory.limit_in_bytes");
  const int64_t parents = field_of(v1 + "/memory.stat", "hierarchical_memory_limit", 1);
  if (parents > 0 && parents < (int64_t(1) << 60)) limit = limit < 0 ? parents : std::min(limit, parents);
  if (limit < 0) return -1;
  const int64_t used = number_in(v1 + "/memory.usage_in_bytes");
  const int64_t cache = std::max<int64_t>(0, field_of(v1 + "/memory.stat", "total_inactive_file", 1));
  return limit - std::max<int64_t>(0, used - cache);
}

}  // namespace

std::string gib_text(int64_t bytes) {
  return short_number(std::round(double(bytes) / double(int64_t(1) << 30) * 100) / 100) + " GiB";
}

int64_t available_memory_bytes() {
  const int64_t system = field_of("/proc/meminfo", "MemAvailable", 1024);
  const int64_t group = cgroup_room();
  if (system < 0) return group;
  return group < 0 ? system : std::min(system, group);
}

void set_memory_limit_bytes(int64_t bytes) { g_memory_limit = std::max<int64_t>(0, bytes); }

int64_t memory_budget_bytes() {
  const int64_t available = available_memory_bytes(), cap = g_memory_limit.load();
  if (cap <= 0) return available;
  return available < 0 ? cap : std::min(available, cap);
}

void require_memory(int64_t bytes_needed, const std::string& what) {
  const int64_t budget = memory_budget_bytes();
  if (budget < 0 || bytes_needed <= budget) return;
  const bool capped = g_memory_limit.load() > 0 && g_memory_limit.load() == budget;
  throw std::runtime_error(what + ": needs about " + gib_text(bytes_needed) + " of memory, but only " + gib_text(budget) +
                           (capped ? " are allowed (--memory-limit)" : " are available") +
                           "; free memory, use a machine with more, or run fewer jobs at once");
}

}  // namespace qsmtk
