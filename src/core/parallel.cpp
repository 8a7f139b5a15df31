#include "qsmtk/parallel.h"

#include <omp.h>

#include <cstdlib>
#include <string>

namespace qsmtk {
namespace {
int g_threads = 0;

int default_threads() {
  for (const char* var : {"QSMTK_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  }
  return omp_get_num_procs();
}
}  // namespace

int threads() {
  if (g_threads <= 0) set_threads(0);
  return g_threads;
}

void set_threads(int n) {
  g_threads = n > 0 ? n : default_threads();
  omp_set_num_threads(g_threads);
}

}  // namespace qsmtk
