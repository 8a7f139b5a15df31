#include "qsmtk/parallel.h"

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <string>

namespace qsmtk {
namespace {
std::atomic<int> g_threads{0};  // read by every call; the Python module sets it from any thread

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

void run_tasks(const std::vector<std::function<void()>>& tasks) {
  std::exception_ptr first;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < tasks.size(); ++i) {
    try {
      tasks[i]();
    } catch (...) {
#pragma omp critical(qsmtk_run_tasks)
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace qsmtk
