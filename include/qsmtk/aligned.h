#pragma once
// 64-byte aligned storage so FFTW and the vectoriser get aligned rows.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace qsmtk {

/// Asks the kernel to back [p, p + bytes) with transparent huge pages where it allows (one page
/// fault per 2 MB instead of per 4 KB on first touch; memory.cpp).
void advise_huge_pages(void* p, std::size_t bytes) noexcept;

template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t alignment = 64;
  AlignedAllocator() noexcept = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  // Over-allocates with malloc and keeps the raw pointer just below the aligned block. glibc's
  // aligned_alloc does not reuse large freed blocks the way malloc does (every volume-sized
  // allocation faulted its pages in again, tens of ms per volume on this VM; see memory.h).
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (n > (static_cast<std::size_t>(-1) - 2 * alignment) / sizeof(T)) throw std::bad_alloc();
    void* raw = std::malloc(bytes + alignment);
    if (!raw) throw std::bad_alloc();
    const std::size_t aligned = (reinterpret_cast<std::size_t>(raw) + alignment) & ~(alignment - 1);
    reinterpret_cast<void**>(aligned)[-1] = raw;  // malloc's 16-byte alignment leaves >= 16 bytes
    if (bytes >= (std::size_t(4) << 20)) advise_huge_pages(reinterpret_cast<void*>(aligned), bytes);
    return reinterpret_cast<T*>(aligned);
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (p) std::free(reinterpret_cast<void**>(p)[-1]);
  }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace qsmtk
