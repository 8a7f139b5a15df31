// Field-mapping accuracy per phantom case, as a Markdown table for docs/accuracy.md:
//   build/release/bench/qsmtk_accuracy_fieldmap [--size small|default] [cases...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "case_args.h"
#include "qsmtk/memory.h"
#include "qsmtk/log.h"
#include "qsmtk/metrics.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

int main(int argc, char** argv) {
  qsmtk::keep_freed_memory_for_reuse();
  const bench::CaseArgs args = bench::parse_case_args(argc, argv);
  const std::string& size = args.size;
  const std::vector<std::string>& cases = args.cases;
  std::printf("| case | grid | mask Dice | wrong 2pi multiples | field RMS error (Hz) | predicted noise RMS (Hz) | "
              "median abs error / median noise SD | WM R2* error | mask | offset | unwrap | echo fit | R2* | total |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : cases) {
    SimulationOptions so;
    so.acquisition = simulation_case(name, size);
    const Simulation s = simulate_phantom(so);
    const auto& te = so.acquisition.echo_times_s;
    const FieldMapResult r = map_field(s.magnitude, s.phase, te);
    const FieldMapScore sc =
        score_field_map(r.mask, s.brain_mask, r.unwrapped, te, r.fit.field_hz, r.fit.noise_hz, s.total_field_hz);
    double fit = 0, truth = 0;
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (r.mask[q] && s.tissue_labels[q] == kTissueWM) fit += r.r2star.r2star[q], truth += s.r2star[q];
    std::map<std::string, double> t;
    double sum = 0;
    for (const auto& [step, sec] : r.seconds) t[step] = sec, sum += sec;
    const Dims& d = s.chi.dims();
    std::printf("| %s | %lldx%lldx%lld | %.4f | %.5f%% | %.3f | %.3f | %.2f | %+.2f%% | %.2f s | %.2f s | %.2f s | %.2f s | "
                "%.2f s | %.2f s |\n",
                name.c_str(), (long long)d[0], (long long)d[1], (long long)d[2], sc.dice, sc.wrong_multiple_pct,
                sc.rms_error_hz, sc.rms_noise_hz, sc.median_error_over_noise, 100 * (fit - truth) / truth, t["mask"],
                t["phase offset"], t["unwrap"], t["echo fit"], t["r2star"], sum);
    std::fflush(stdout);
  }
}
