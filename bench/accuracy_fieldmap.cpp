// Field-mapping accuracy per phantom case, as a Markdown table for docs/accuracy.md:
//   build/release/bench/qsmtk_accuracy_fieldmap [--size small|default] [cases...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

int main(int argc, char** argv) {
  log::set_level(log::Level::quiet);
  set_threads(0);
  std::string size = "default";
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--size") && i + 1 < argc) size = argv[++i];
    else cases.push_back(argv[i]);
  }
  if (cases.empty()) cases = {"std", "oblique", "aniso", "lowsnr", "7t"};
  std::printf("| case | grid | mask Dice | wrong 2pi multiples | field RMS error (Hz) | predicted noise RMS (Hz) | "
              "median abs error / median noise SD | WM R2* error | mask | offset | unwrap | echo fit | R2* | total |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : cases) {
    SimulationOptions so;
    so.acquisition = simulation_case(name, size);
    const Simulation s = simulate_phantom(so);
    const auto& te = so.acquisition.echo_times_s;
    const FieldMapResult r = map_field(s.magnitude, s.phase, te);
    int64_t wrong = 0, total = 0;
    for (int64_t e = 0; e < s.phase.frames(); ++e) {
      std::map<int64_t, int64_t> votes;
      std::vector<int64_t> k(size_t(s.chi.voxels()), INT64_MIN);
      for (int64_t q = 0; q < s.chi.voxels(); ++q)
        if (r.mask[q] && s.brain_mask[q]) {
          k[size_t(q)] = std::llround((r.unwrapped.frame(e)[q] - 2 * M_PI * s.total_field_hz[q] * te[size_t(e)]) / (2 * M_PI));
          ++votes[k[size_t(q)]];
        }
      int64_t mode = 0, best = -1;
      for (auto& [key, n] : votes)
        if (n > best) best = n, mode = key;
      for (int64_t v : k)
        if (v != INT64_MIN) wrong += v != mode, ++total;
    }
    const Mask inner = erode(r.mask, 2.0);
    double mean = 0;
    int64_t n = 0;
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (inner[q] && s.brain_mask[q]) mean += r.fit.field_hz[q] - s.total_field_hz[q], ++n;
    mean /= double(n);
    double se = 0, sn = 0;
    std::vector<double> ae, ns;
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (inner[q] && s.brain_mask[q]) {
        const double e = r.fit.field_hz[q] - s.total_field_hz[q] - mean;
        se += e * e;
        sn += double(r.fit.noise_hz[q]) * r.fit.noise_hz[q];
        ae.push_back(std::fabs(e));
        ns.push_back(r.fit.noise_hz[q]);
      }
    std::nth_element(ae.begin(), ae.begin() + ae.size() / 2, ae.end());
    std::nth_element(ns.begin(), ns.begin() + ns.size() / 2, ns.end());
    double fit = 0, truth = 0;
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (r.mask[q] && s.tissue_labels[q] == kTissueWM) fit += r.r2star.r2star[q], truth += s.r2star[q];
    std::map<std::string, double> t;
    double sum = 0;
    for (const auto& [step, sec] : r.seconds) t[step] = sec, sum += sec;
    const Dims& d = s.chi.dims();
    std::printf("| %s | %lldx%lldx%lld | %.4f | %.5f%% | %.3f | %.3f | %.2f | %+.2f%% | %.2f s | %.2f s | %.2f s | %.2f s | "
                "%.2f s | %.2f s |\n",
                name.c_str(), (long long)d[0], (long long)d[1], (long long)d[2], dice(r.mask, s.brain_mask),
                100.0 * double(wrong) / double(total), std::sqrt(se / double(n)), std::sqrt(sn / double(n)),
                ae[ae.size() / 2] / (0.6745 * ns[ns.size() / 2]), 100 * (fit - truth) / truth, t["mask"],
                t["phase offset"], t["unwrap"], t["echo fit"], t["r2star"], sum);
    std::fflush(stdout);
  }
}
