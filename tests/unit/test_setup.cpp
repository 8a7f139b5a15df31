// Process set-up shared by all unit tests: the allocator settings of the command line.
#include "qsmtk/memory.h"

[[maybe_unused]] static const bool kReuseMemory = (qsmtk::keep_freed_memory_for_reuse(), true);
