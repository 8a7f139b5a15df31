// Field-mapping steps at the default phantom size (std case, 192x224x160, 5 echoes).
#include <benchmark/benchmark.h>

#include <memory>

#include "qsmtk/log.h"
#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/echo_fit.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/phase/offset.h"
#include "qsmtk/phase/unwrap.h"
#include "qsmtk/relax/r2star.h"
#include "phantom_data.h"

using namespace qsmtk;

namespace {
struct Data {
  const Simulation& sim = bench::default_phantom();
  std::vector<double> te;
  Mask mask;
  Volume corrected, unwrapped;
};
Data& data() {
  static std::unique_ptr<Data> d;
  if (!d) {
    d = std::make_unique<Data>();
    d->te = simulation_case("std", "default").echo_times_s;
    d->mask = brain_mask(d->sim.magnitude, d->te);
    d->corrected = remove_phase_offset(d->sim.phase, estimate_phase_offset(d->sim.phase, d->sim.magnitude, d->mask, d->te));
    d->unwrapped = unwrap_echoes(d->corrected, d->sim.magnitude, d->mask, d->te);
  }
  return *d;
}
}  // namespace

static void BM_BrainMask(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s) benchmark::DoNotOptimize(brain_mask(d.sim.magnitude, d.te));
}
static void BM_PhaseOffset(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s) benchmark::DoNotOptimize(estimate_phase_offset(d.sim.phase, d.sim.magnitude, d.mask, d.te));
}
static void BM_UnwrapTemporal(benchmark::State& s) {
  Data& d = data();
  log::set_level(log::Level::quiet);
  for (auto _ : s) benchmark::DoNotOptimize(unwrap_echoes(d.corrected, d.sim.magnitude, d.mask, d.te));
}
static void BM_UnwrapOneEchoRegionGrowing(benchmark::State& s) {
  Data& d = data();
  const Volume p = d.corrected.extract_frame(0), m = d.sim.magnitude.extract_frame(0);
  for (auto _ : s) benchmark::DoNotOptimize(unwrap_region_growing(p, d.mask, &m));
}
static void BM_UnwrapOneEchoLaplacian(benchmark::State& s) {
  Data& d = data();
  const Volume p = d.corrected.extract_frame(0);
  for (auto _ : s) benchmark::DoNotOptimize(unwrap_laplacian(p));
}
static void BM_EchoFitLinear(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s)
    benchmark::DoNotOptimize(fit_field(d.unwrapped, d.sim.magnitude, d.te, d.mask, EchoFitMethod::weighted_linear));
}
static void BM_EchoFitComplex(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s)
    benchmark::DoNotOptimize(fit_field(d.unwrapped, d.sim.magnitude, d.te, d.mask, EchoFitMethod::complex_nonlinear));
}
static void BM_R2starArlo(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s) benchmark::DoNotOptimize(fit_r2star(d.sim.magnitude, d.te, d.mask, R2StarMethod::arlo));
}
static void BM_WholeFieldMap(benchmark::State& s) {
  Data& d = data();
  for (auto _ : s) benchmark::DoNotOptimize(map_field(d.sim.magnitude, d.sim.phase, d.te));
}
BENCHMARK(BM_BrainMask)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_PhaseOffset)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_UnwrapTemporal)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_UnwrapOneEchoRegionGrowing)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_UnwrapOneEchoLaplacian)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_EchoFitLinear)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_EchoFitComplex)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_R2starArlo)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_WholeFieldMap)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
