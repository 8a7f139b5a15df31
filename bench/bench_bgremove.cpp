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
  bench::run_counting_ffts(state, [&] {
    const LocalField lf = remove_background(method, s.total_field_hz, s.brain_mask, s.b0_direction);
    benchmark::DoNotOptimize(lf.field.data());
    return lf.iterations;
  });
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
