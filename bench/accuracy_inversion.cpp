// Dipole inversion accuracy per phantom case and method, as Markdown tables for docs/accuracy.md:
// from the true local field in the true brain mask, and from the pipeline's own local field
// (qsmtk fieldmap defaults, then PDF weighted by the noise map; the fieldmap's mask, noise map and
// first-echo magnitude go to the inversion). Scored as `qsmtk compare` does, in the voxels where
// both the reconstruction and the truth have brain.
//   build/release/bench/qsmtk_accuracy_inversion [--size small|default] [cases...] [--methods a,b,...]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "case_args.h"
#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/inversion/inversion.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/memory.h"
#include "qsmtk/metrics.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

namespace {

double mean_abs_error_ppb(const Comparison& c) {
  double s = 0;
  for (const auto& r : c.roi) s += std::fabs(r.error_ppb);
  return c.roi.empty() ? 0.0 : s / double(c.roi.size());
}

/// Streaking: RMS error (ppb) in a 2-8 mm shell around the calcification and the veins, where
/// dipole streaks from strong sources show first.
double streak_ppb(const Simulation& s, const Volume& chi, const Mask& scored) {
  Mask sources(s.chi.grid());
  for (int64_t q = 0; q < sources.voxels(); ++q)
    sources[q] = s.tissue_labels[q] == kTissueCalcification || s.tissue_labels[q] == kTissueVein;
  const Mask outer = dilate(sources, 8.0), inner = dilate(sources, 2.0);
  double mt = 0, mc = 0;
  int64_t n = 0;
  for (int64_t q = 0; q < chi.voxels(); ++q)
    if (scored[q]) mt += s.chi[q], mc += chi[q], ++n;
  mt /= double(std::max<int64_t>(n, 1)), mc /= double(std::max<int64_t>(n, 1));
  double se = 0;
  int64_t m = 0;
  for (int64_t q = 0; q < chi.voxels(); ++q)
    if (scored[q] && outer[q] && !inner[q]) se += std::pow((chi[q] - mc) - (s.chi[q] - mt), 2), ++m;
  return m ? 1000 * std::sqrt(se / double(m)) : 0.0;
}

/// Lesion delta chi (lesion mean minus the mean of white matter in a 1-3 mm shell around it,
/// other lesions excluded): mean absolute error against the same on the truth, ppb.
double lesion_delta_chi_error_ppb(const Simulation& s, const Volume& chi, const Mask& scored) {
  double sum = 0;
  int count = 0;
  for (const Lesion& lesion : s.lesions) {
    Mask inside(s.chi.grid());
    for (int64_t q = 0; q < inside.voxels(); ++q) inside[q] = s.lesion_labels[q] == lesion.index;
    const Mask near = dilate(inside, 3.0), touching = dilate(inside, 1.0);
    double lt = 0, lc = 0, wt = 0, wc = 0;
    int64_t nl = 0, nw = 0;
    for (int64_t q = 0; q < inside.voxels(); ++q) {
      if (!scored[q]) continue;
      if (inside[q]) lt += s.chi[q], lc += chi[q], ++nl;
      else if (near[q] && !touching[q] && s.tissue_labels[q] == kTissueWM && s.lesion_labels[q] == 0)
        wt += s.chi[q], wc += chi[q], ++nw;
    }
    if (nl == 0 || nw == 0) continue;
    sum += std::fabs((lc / double(nl) - wc / double(nw)) - (lt / double(nl) - wt / double(nw)));
    ++count;
  }
  return count ? 1000 * sum / count : 0.0;
}

std::string rows(const std::string& case_name, const Simulation& s, const InversionInput& in,
                 const std::vector<InversionMethod>& methods) {
  Mask scored(in.mask.grid());
  for (int64_t q = 0; q < scored.voxels(); ++q) scored[q] = in.mask[q] && s.brain_mask[q];
  std::string out;
  for (InversionMethod m : methods) {
    InversionOptions o;
    o.common.progress = false;
    const auto t0 = std::chrono::steady_clock::now();
    const InversionResult r = invert(m, in, o);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Comparison dgm = compare_maps(s.chi, r.chi, scored, &s.deep_grey_labels);
    const Comparison les = compare_maps(s.chi, r.chi, scored, &s.lesion_labels);
    int64_t bad = 0;
    for (float v : r.chi) bad += !std::isfinite(v);
    char line[512];
    std::snprintf(line, sizeof line, "| %s | %s | %.1f%% | %.1f%% | %.3f | %.1f | %.1f | %.1f | %.1f | %s | %.1f s |%s\n",
                  case_name.c_str(), to_string(m).c_str(), dgm.nrmse_pct, dgm.hfen_pct, dgm.ssim, mean_abs_error_ppb(dgm),
                  mean_abs_error_ppb(les), lesion_delta_chi_error_ppb(s, r.chi, scored), streak_ppb(s, r.chi, scored),
                  r.iterations ? std::to_string(r.iterations).c_str() : "-", sec, bad ? " NaN/Inf!" : "");
    out += line;
    std::fputs(line, stderr);  // progress
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  log::set_level(log::Level::quiet);
  std::vector<InversionMethod> methods = all_inversion_methods();
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--methods") == 0 && i + 1 < argc) {
      methods.clear();
      std::string list = argv[++i];
      for (size_t p = 0; p <= list.size();) {
        const size_t e = std::min(list.find(',', p), list.size());
        methods.push_back(parse_inversion_method(list.substr(p, e - p)));
        p = e + 1;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  const bench::CaseArgs args = bench::parse_case_args(int(rest.size()), rest.data());
  const char* header =
      "| case | method | NRMSE | HFEN | SSIM | deep GM mean abs error (ppb) | lesion mean abs error (ppb) | lesion "
      "delta chi abs error (ppb) | streaking RMS (ppb) | iterations | time |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::string from_truth, from_pipeline;
  for (const auto& name : args.cases) {
    SimulationOptions so;
    so.acquisition = simulation_case(name, args.size);
    const Simulation sim = simulate_phantom(so);
    const double hz = hz_per_ppm(so.acquisition.b0_tesla);
    double mean_te = 0;
    for (double te : so.acquisition.echo_times_s) mean_te += te / double(so.acquisition.echo_times_s.size());
    Volume magnitude(sim.brain_mask.grid());
    std::copy(sim.magnitude.begin(), sim.magnitude.begin() + magnitude.voxels(), magnitude.begin());

    Volume true_local = sim.local_field_hz;
    for (float& v : true_local) v = float(v / hz);
    InversionInput truth{true_local, sim.brain_mask, sim.b0_direction};
    truth.magnitude = &magnitude;
    truth.radians_per_ppm = 2 * M_PI * hz * mean_te;
    from_truth += rows(name, sim, truth, methods);

    const FieldMapResult fm = map_field(sim.magnitude, sim.phase, so.acquisition.echo_times_s);
    const LocalField lf = remove_background(kDefaultBackgroundMethod, fm.fit.field_hz, fm.mask, sim.b0_direction,
                                            &fm.fit.noise_hz);
    Volume local = lf.field, noise = fm.fit.noise_hz;
    for (float& v : local) v = float(v / hz);
    for (float& v : noise) v = float(v / hz);
    InversionInput pipeline{local, lf.mask, sim.b0_direction};
    pipeline.magnitude = &magnitude;
    pipeline.noise = &noise;
    pipeline.radians_per_ppm = truth.radians_per_ppm;
    from_pipeline += rows(name, sim, pipeline, methods);
  }
  std::printf("From the true local field, true brain mask:\n\n%s%s", header, from_truth.c_str());
  std::printf("\nFrom the pipeline's local field (field map, PDF; its mask, noise map and magnitude):\n\n%s%s", header,
              from_pipeline.c_str());
}
