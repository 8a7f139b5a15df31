// Issue targets on the default phantom (std case, 1 mm, SNR 100): brain mask Dice >= 0.95,
// < 0.1% of brain voxels with a wrong 2 pi multiple, total field within the noise in the brain
// eroded by 2 mm, white matter R2* within 5%. One test, one simulation (about 40 s).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qsmtk/log.h"
#include "qsmtk/metrics.h"
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

  const FieldMapScore sc =
      score_field_map(r.mask, s.brain_mask, r.unwrapped, te, r.fit.field_hz, r.fit.noise_hz, s.total_field_hz);
  RecordProperty("dice", std::to_string(sc.dice));
  RecordProperty("wrong_multiple_pct", std::to_string(sc.wrong_multiple_pct));
  RecordProperty("field_rms_error_hz", std::to_string(sc.rms_error_hz));
  RecordProperty("field_rms_noise_hz", std::to_string(sc.rms_noise_hz));
  EXPECT_GE(sc.dice, 0.95);
  EXPECT_LT(sc.wrong_multiple_pct, 0.1);
  // The bulk of the brain is at the noise (median |error| = 0.6745 sigma for Gaussian noise);
  // overall, edges of veins and nuclei add intravoxel dephasing: within 2x the noise.
  EXPECT_LT(sc.median_error_over_noise, 1.2);
  EXPECT_LT(sc.rms_error_hz, 2.0 * sc.rms_noise_hz);
  EXPECT_NEAR(r.fit.noise_sd, s.noise_sd, 0.05 * s.noise_sd);

  double fit = 0, truth = 0;
  for (int64_t q = 0; q < s.chi.voxels(); ++q)
    if (r.mask[q] && s.tissue_labels[q] == kTissueWM) fit += r.r2star.r2star[q], truth += s.r2star[q];
  RecordProperty("wm_r2star_error_pct", std::to_string(100 * (fit - truth) / truth));
  EXPECT_NEAR(fit / truth, 1.0, 0.05);
}
