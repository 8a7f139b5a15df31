#pragma once
// The default phantom (std case, 192x224x160, 5 echoes), simulated once per benchmark run and
// shared by the benchmark files, and the FFT floor.
#include <functional>

#include <benchmark/benchmark.h>

#include "qsmtk/sim/phantom.h"

namespace qsmtk::bench {
const Simulation& default_phantom();
/// Seconds per transform (half a forward+backward pair) on `dims`, planned as the methods plan:
/// the FFT floor that method times are divided by.
double seconds_per_transform(const Dims& dims);
/// Runs `once` (which returns its iteration count) for each benchmark iteration and records the
/// counters docs/benchmarks.md uses: FFTs per run, iterations, the FFT grid and the FFT floor.
void run_counting_ffts(benchmark::State& state, const std::function<int()>& once);
}
