#include "qsmtk/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qsmtk {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks up to 1 GiB come from the heap
  mallopt(M_TRIM_THRESHOLD, -1);       // never shrink the heap's top
#endif
}

}  // namespace qsmtk
