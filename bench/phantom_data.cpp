#include "phantom_data.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "qsmtk/fft.h"
#include "qsmtk/log.h"
#include "qsmtk/memory.h"
#include "qsmtk/parallel.h"

namespace qsmtk::bench {

const Simulation& default_phantom() {
  static std::unique_ptr<Simulation> s;
  if (!s) {
    log::set_level(log::Level::quiet);
    set_threads(0);
    SimulationOptions o;
    o.acquisition = simulation_case("std", "default");
    s = std::make_unique<Simulation>(simulate_phantom(o));
  }
  return *s;
}

/// Seconds per transform (half a forward+backward pair) on `dims`, planned as the methods plan.
double seconds_per_transform(const Dims& dims) {
  RealFFT3 fft(dims);
  std::fill(fft.real(), fft.real() + fft.real_size(), 1.0f);
  fft.forward();
  fft.backward();  // warm
  const int reps = 4;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    fft.forward();
    fft.backward();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / (2 * reps);
}


void run_counting_ffts(benchmark::State& state, const std::function<int()>& once) {
  int64_t transforms = 0, runs = 0;
  int iterations = 0;
  Dims dims{0, 0, 0};
  for (auto _ : state) {
    const FftCounters before = fft_counters();
    iterations = once();
    const FftCounters after = fft_counters();
    transforms += after.transforms - before.transforms;
    dims = after.last_dims;
    ++runs;
  }
  const double per_run = double(transforms) / double(std::max<int64_t>(runs, 1));
  state.counters["ffts"] = per_run;
  state.counters["iterations"] = iterations;
  state.counters["fft_grid_Mvox"] = double(voxel_count(dims)) * 1e-6;
  state.counters["fft_floor_ms"] = per_run > 0 ? per_run * seconds_per_transform(dims) * 1e3 : 0.0;
}

}  // namespace qsmtk::bench

// The benchmarks run with the same allocator settings as the command line.
[[maybe_unused]] static const bool kReuseMemory = (qsmtk::keep_freed_memory_for_reuse(), true);
