#pragma once
// Thread count shared by OpenMP loops and FFTW plans, and reductions whose result does not
// depend on the thread count (fixed chunking, summed in order), so outputs are reproducible.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace qsmtk {

/// Threads used by loops and FFT plans created from now on (>= 1).
int threads();
/// Sets the thread count; 0 means all hardware threads (or QSMTK_THREADS / OMP_NUM_THREADS).
void set_threads(int n);

/// Runs f(begin, end) over [0, n) in fixed chunks in parallel.
template <typename F>
void parallel_chunks(int64_t n, F&& f, int64_t chunk = 1 << 16) {
  const int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b = c * chunk;
    f(b, b + chunk < n ? b + chunk : n);
  }
}

/// Runs f(i) for i in [0, n) in parallel.
template <typename F>
void parallel_for(int64_t n, F&& f) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) f(i);
}

/// Runs independent tasks (e.g. writing output files) on the threads; rethrows the first
/// exception once all have finished.
void run_tasks(const std::vector<std::function<void()>>& tasks);

/// Sum of f(i) over [0, n) in double; bit-identical for any thread count. f is called once per i,
/// so it may also update element i (fusing an update with the reduction that follows it).
template <typename F>
double deterministic_sum(int64_t n, F&& f) {
  constexpr int64_t chunk = 1 << 14;
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    double s = 0;
    const int64_t e = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (int64_t i = c * chunk; i < e; ++i) s += f(i);
    partial[static_cast<size_t>(c)] = s;
  }
  double s = 0;
  for (double p : partial) s += p;
  return s;
}

}  // namespace qsmtk
