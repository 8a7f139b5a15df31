// Issue targets on the default phantom (std case, 1 mm, SNR 100): brain mask Dice >= 0.95,
// < 0.1% of brain voxels with a wrong 2 pi multiple, total field within the noise in the brain
// eroded by 2 mm, white matter R2* within 5%. One test, one simulation (about 40 s).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

TEST(FieldMapPhantom, DefaultStdCaseMeetsTheTargets) {
  log::set_level(log::Level::quiet);
  SimulationOptions so;
  so.acquisition = simulation_case("std", "default");
  const Simulation s = simulate_phantom(so);
  const auto& te = so.acquisition.echo_times_s;
  const FieldMapResult r = map_field(s.magnitude, s.phase, te);

  const double d = dice(r.mask, s.brain_mask);
  RecordProperty("dice", std::to_string(d));
  EXPECT_GE(d, 0.95);

  // Wrong multiples: (unwrapped - 2 pi f_true TE) / 2 pi must be one constant per echo.
  int64_t wrong = 0, total = 0;
  for (int64_t e = 0; e < s.phase.frames(); ++e) {
    std::map<int64_t, int64_t> votes;
    std::vector<int64_t> k(size_t(s.chi.voxels()), INT64_MIN);
    for (int64_t q = 0; q < s.chi.voxels(); ++q)
      if (r.mask[q] && s.brain_mask[q]) {
        k[size_t(q)] = std::llround((r.unwrapped.frame(e)[q] - 2 * M_PI * s.total_field_hz[q] * te[size_t(e)]) / (2 * M_PI));
        ++votes[k[size_t(q)]];
      }
    const int64_t mode = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
    for (int64_t v : k)
      if (v != INT64_MIN) wrong += v != mode, ++total;
  }
  const double wrong_pct = 100.0 * double(wrong) / double(total);
  RecordProperty("wrong_multiple_pct", std::to_string(wrong_pct));
  EXPECT_LT(wrong_pct, 0.1);

  // Field error in the brain eroded by 2 mm, against the predicted noise.
  const Mask inner = erode(r.mask, 2.0);
  double mean = 0;
  int64_t n = 0;
  for (int64_t q = 0; q < s.chi.voxels(); ++q)
    if (inner[q] && s.brain_mask[q]) mean += r.fit.field_hz[q] - s.total_field_hz[q], ++n;
  mean /= double(n);
  double se = 0, sn = 0;
  std::vector<double> abs_err, noise;
  for (int64_t q = 0; q < s.chi.voxels(); ++q)
    if (inner[q] && s.brain_mask[q]) {
      const double e = r.fit.field_hz[q] - s.total_field_hz[q] - mean;
      se += e * e;
      sn += double(r.fit.noise_hz[q]) * r.fit.noise_hz[q];
      abs_err.push_back(std::fabs(e));
      noise.push_back(r.fit.noise_hz[q]);
    }
  std::nth_element(abs_err.begin(), abs_err.begin() + abs_err.size() / 2, abs_err.end());
  std::nth_element(noise.begin(), noise.begin() + noise.size() / 2, noise.end());
  RecordProperty("field_rms_error_hz", std::to_string(std::sqrt(se / double(n))));
  RecordProperty("field_rms_noise_hz", std::to_string(std::sqrt(sn / double(n))));
  // The bulk of the brain is at the noise: median |error| = 0.6745 sigma for Gaussian noise.
  EXPECT_LT(abs_err[abs_err.size() / 2], 1.2 * 0.6745 * noise[noise.size() / 2]);
  // Overall (edges of veins and nuclei add intravoxel dephasing): within 2x the noise.
  EXPECT_LT(std::sqrt(se / double(n)), 2.0 * std::sqrt(sn / double(n)));
  EXPECT_NEAR(r.fit.noise_sd, s.noise_sd, 0.05 * s.noise_sd);

  double fit = 0, truth = 0;
  for (int64_t q = 0; q < s.chi.voxels(); ++q)
    if (r.mask[q] && s.tissue_labels[q] == kTissueWM) fit += r.r2star.r2star[q], truth += s.r2star[q];
  RecordProperty("wm_r2star_error_pct", std::to_string(100 * (fit - truth) / truth));
  EXPECT_NEAR(fit / truth, 1.0, 0.05);
}
