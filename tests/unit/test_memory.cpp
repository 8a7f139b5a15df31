// The allocator settings that volume-sized work depends on (include/qsmtk/memory.h): a freed
// volume is reused without faulting its pages in again, and aligned storage is aligned.
#include <gtest/gtest.h>

#include <cstdint>

#include "qsmtk/aligned.h"
#include "qsmtk/memory.h"

#if defined(__linux__)
#include <sys/resource.h>
#endif

using namespace qsmtk;

TEST(AlignedVector, IsAlignedTo64Bytes) {
  for (size_t n : {size_t(1), size_t(3), size_t(1000), size_t(3) << 20}) {
    AlignedVector<float> v(n, 1.0f);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % 64, 0u) << n;
    EXPECT_EQ(v[n - 1], 1.0f);
  }
}

#if defined(__linux__)
TEST(Memory, FreedVolumesAreReusedWithoutPageFaults) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's, whose settings this checks";
#endif
  // Before the fix every 40 MB volume took ~10000 page faults again after being freed (the
  // settings were silently not applied), at 3 ms per MB on a VM.
  keep_freed_memory_for_reuse();
  auto faults = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
  };
  const size_t n = size_t(10) << 20;  // 40 MB of floats
  { AlignedVector<float> warm(n, 1.0f); }
  const long before = faults();
  for (int r = 0; r < 3; ++r) {
    AlignedVector<float> v(n, float(r));
    ASSERT_EQ(v[n / 2], float(r));
  }
  EXPECT_LT(faults() - before, 200);
}
#endif
