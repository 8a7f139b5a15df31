// Dipole inversion at the default phantom size (std case, 192x224x160), from the true local field
// in the true brain mask, default options. Counters: FFTs and iterations per run, the FFT floor
// (that many transforms on the method's FFT grid) and the time per iteration; docs/benchmarks.md
// divides.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "phantom_data.h"
#include "qsmtk/fft.h"
#include "qsmtk/inversion/inversion.h"
#include "qsmtk/log.h"
#include "qsmtk/physics.h"

using namespace qsmtk;

namespace {

void run_method(benchmark::State& state, InversionMethod method) {
  const Simulation& s = bench::default_phantom();
  log::set_level(log::Level::quiet);
  Volume field = s.local_field_hz;
  for (float& v : field) v = float(v / hz_per_ppm(s.options.acquisition.b0_tesla));
  Volume magnitude(s.brain_mask.grid());
  std::copy(s.magnitude.begin(), s.magnitude.begin() + magnitude.voxels(), magnitude.begin());
  InversionInput in{field, s.brain_mask, s.b0_direction};
  in.magnitude = &magnitude;
  InversionOptions o;
  o.common.progress = false;
  bench::run_counting_ffts(state, [&] {
    const InversionResult r = invert(method, in, o);
    benchmark::DoNotOptimize(r.chi.data());
    return r.iterations;
  });
}

void BM_InversionTkd(benchmark::State& s) { run_method(s, InversionMethod::tkd); }
void BM_InversionTsvd(benchmark::State& s) { run_method(s, InversionMethod::tsvd); }
void BM_InversionTikhonov(benchmark::State& s) { run_method(s, InversionMethod::tikhonov); }
void BM_InversionIlsqr(benchmark::State& s) { run_method(s, InversionMethod::ilsqr); }
void BM_InversionTv(benchmark::State& s) { run_method(s, InversionMethod::tv); }
void BM_InversionNltv(benchmark::State& s) { run_method(s, InversionMethod::nltv); }
void BM_InversionMedi(benchmark::State& s) { run_method(s, InversionMethod::medi); }
void BM_InversionTgv(benchmark::State& s) { run_method(s, InversionMethod::tgv); }
void BM_InversionRts(benchmark::State& s) { run_method(s, InversionMethod::rts); }
void BM_InversionNdi(benchmark::State& s) { run_method(s, InversionMethod::ndi); }

}  // namespace

BENCHMARK(BM_InversionTkd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InversionTsvd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InversionTikhonov)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InversionIlsqr)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionTv)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionNltv)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionMedi)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionTgv)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionRts)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_InversionNdi)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
