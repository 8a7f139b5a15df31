#pragma once
// Process-wide memory settings, and the guard that refuses work that cannot fit in memory
// (a clear message instead of the kernel's out-of-memory kill half way through).
#include <cstdint>
#include <string>

namespace qsmtk {

/// Keeps large freed blocks in the heap for reuse instead of returning them to the system.
/// glibc hands blocks above its mmap threshold (at most 32 MB) straight back to the kernel, so the
/// next volume-sized allocation pays a page fault and a kernel zeroing per 4 KB page: 3 ms per MB
/// on this project's 2-core VM (TSVD at the default size: 0.38 s before, 0.046 s after;
/// docs/benchmarks.md). Peak memory is unchanged (freed blocks are reused); the resident size
/// stays at the peak until exit. Call once at start-up; the command line, the benchmarks and the
/// tests do (tests/unit/test_memory.cpp checks that it takes effect).
void keep_freed_memory_for_reuse();

/// Memory this process may still take, bytes: the system's MemAvailable (/proc/meminfo), lowered
/// to what a cgroup limit (container, batch job; v1 or v2) leaves; -1 when neither is known.
int64_t available_memory_bytes();

/// A cap set by the user (--memory-limit), bytes; 0 removes it.
void set_memory_limit_bytes(int64_t bytes);

/// What one job may use: the smaller of available_memory_bytes() and the cap; -1 when unknown.
int64_t memory_budget_bytes();

/// "1.25 GiB": bytes in GiB to two decimals, for messages.
std::string gib_text(int64_t bytes);

/// Refuses (std::runtime_error starting with `what`, giving the estimate and the budget) work
/// estimated to need more than memory_budget_bytes(). Does nothing when the budget is unknown.
void require_memory(int64_t bytes_needed, const std::string& what);

}  // namespace qsmtk
