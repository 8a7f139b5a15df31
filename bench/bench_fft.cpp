// The FFT floor: what one r2c + c2r pair costs at the default phantom size, and a full dipole
// convolution (pad, forward, multiply, backward, crop), with 1 and 2 threads. Later stages are
// measured against these numbers (docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include "qsmtk/convolution.h"
#include "qsmtk/fft.h"
#include "qsmtk/kernels/dipole.h"
#include "qsmtk/parallel.h"
#include "qsmtk/random.h"

using namespace qsmtk;

namespace {
const Dims kDefault{192, 224, 160};  // the default phantom grid (1 mm)

Dims grid_for(int64_t which) {
  // 0: the phantom grid itself (already FFT friendly); 1: padded by 10% per side.
  return which == 0 ? kDefault : fft_padded_dims(kDefault, fft_pad_fraction(kDefault, 0.1));
}

void fill(float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = float(uniform01(1, 2, uint64_t(i)));
}
}  // namespace

static void BM_FftPair(benchmark::State& state) {
  set_threads(int(state.range(0)));
  const Dims n = grid_for(state.range(1));
  RealFFT3 fft(n);
  fill(fft.real(), fft.real_size());
  for (auto _ : state) {
    fft.forward();
    fft.backward();
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(n[0]) + "x" + std::to_string(n[1]) + "x" + std::to_string(n[2]));
  state.counters["voxels"] = double(fft.real_size());
}
BENCHMARK(BM_FftPair)->ArgsProduct({{1, 2}, {0, 1}})->ArgNames({"threads", "padded"})->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_DipoleConvolution(benchmark::State& state) {
  set_threads(int(state.range(0)));
  const Dims n = grid_for(state.range(1));
  Convolver conv(kDefault, n);
  const SpectralKernel d = dipole_kernel(n, {1, 1, 1}, normalized(Vec3{0.1, 0.2, 0.97}));
  AlignedVector<float> x(size_t(voxel_count(kDefault))), y(x.size());
  fill(x.data(), int64_t(x.size()));
  for (auto _ : state) {
    conv.apply(x.data(), d, y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(n[0]) + "x" + std::to_string(n[1]) + "x" + std::to_string(n[2]));
}
BENCHMARK(BM_DipoleConvolution)->ArgsProduct({{1, 2}, {0, 1}})->ArgNames({"threads", "padded"})->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_DipoleKernel(benchmark::State& state) {
  set_threads(2);
  for (auto _ : state) benchmark::DoNotOptimize(dipole_kernel(kDefault, {1, 1, 1}, normalized(Vec3{0.1, 0.2, 0.97})));
}
BENCHMARK(BM_DipoleKernel)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_PlanCreation(benchmark::State& state) {
  set_threads(2);
  for (auto _ : state) {
    RealFFT3 fft(kDefault);
    benchmark::DoNotOptimize(fft.real());
  }
}
BENCHMARK(BM_PlanCreation)->Unit(benchmark::kMillisecond)->UseRealTime();

