// Background field removal at the default phantom size (std case, 192x224x160), from the true
// total field in the true brain mask. Counters: the method's FFT count per run, the FFT floor
// (that many transforms on the method's FFT grid, timed here); docs/benchmarks.md divides.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

#include "phantom_data.h"
#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/fft.h"
#include "qsmtk/log.h"

using namespace qsmtk;

namespace {

void run_method(benchmark::State& state, BackgroundMethod method) {
  const Simulation& s = bench::default_phantom();
  log::set_level(log::Level::quiet);
  int64_t transforms = 0, runs = 0;
  int iterations = 0;
  Dims dims{0, 0, 0};
  for (auto _ : state) {
    const FftCounters before = fft_counters();
    const LocalField lf = remove_background(method, s.total_field_hz, s.brain_mask, s.b0_direction);
    const FftCounters after = fft_counters();
    transforms += after.transforms - before.transforms;
    dims = after.last_dims;
    iterations = lf.iterations;
    ++runs;
    benchmark::DoNotOptimize(lf.field.data());
  }
  const double per_run = double(transforms) / double(runs);
  const double floor_s = per_run * bench::seconds_per_transform(dims);
  state.counters["ffts"] = per_run;
  state.counters["iterations"] = iterations;
  state.counters["fft_grid_Mvox"] = double(voxel_count(dims)) * 1e-6;
  state.counters["fft_floor_ms"] = floor_s * 1e3;
}

void BM_BackgroundSharp(benchmark::State& s) { run_method(s, BackgroundMethod::sharp); }
void BM_BackgroundVsharp(benchmark::State& s) { run_method(s, BackgroundMethod::vsharp); }
void BM_BackgroundResharp(benchmark::State& s) { run_method(s, BackgroundMethod::resharp); }
void BM_BackgroundPdf(benchmark::State& s) { run_method(s, BackgroundMethod::pdf); }
void BM_BackgroundLbv(benchmark::State& s) { run_method(s, BackgroundMethod::lbv); }
void BM_BackgroundIsmv(benchmark::State& s) { run_method(s, BackgroundMethod::ismv); }

}  // namespace

BENCHMARK(BM_BackgroundSharp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackgroundVsharp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackgroundResharp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackgroundPdf)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackgroundLbv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackgroundIsmv)->Unit(benchmark::kMillisecond)->UseRealTime();
