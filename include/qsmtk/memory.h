#pragma once
// Process-wide memory settings.

namespace qsmtk {

/// Keeps large freed blocks in the heap for reuse instead of returning them to the system.
/// glibc hands blocks above its mmap threshold (at most 32 MB) straight back to the kernel, so the
/// next volume-sized allocation pays a page fault and a kernel zeroing per 4 KB page: 3 ms per MB
/// on this project's 2-core VM (TSVD at the default size: 0.38 s before, 0.046 s after;
/// docs/benchmarks.md). Peak memory is unchanged (freed blocks are reused); the resident size
/// stays at the peak until exit. Call once at start-up; the command line, the benchmarks and the
/// tests do (tests/unit/test_memory.cpp checks that it takes effect).
void keep_freed_memory_for_reuse();

}  // namespace qsmtk
