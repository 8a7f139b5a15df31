// Chi-separation on the small phantom from the true local field: with the true R2' (the
// simulator has no R2 map; R2' = Dr (para - dia) is exactly what it adds to R2 to make R2*) both
// components against the truth in eroded deep grey matter and lesion interiors, the signs, the sum
// against a TV inversion, the R2*-only bias and the input checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "qsmtk/inversion/chi_separation.h"
#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/metrics.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"
#include "test_util.h"

using namespace qsmtk;
using namespace qsmtk::test;

namespace {

struct Case {
  Simulation sim;
  Volume field, r2prime;
  ChiSeparationResult sep;
};

const Case& phantom_case() {
  static const Case c = [] {
    log::set_level(log::Level::quiet);
    Case k;
    SimulationOptions o;
    o.acquisition = simulation_case("std", "small");
    o.noise = false;
    k.sim = simulate_phantom(o);
    const double b0 = o.acquisition.b0_tesla;
    k.field = k.sim.local_field_hz;
    for (float& v : k.field) v = float(v / hz_per_ppm(b0));
    k.r2prime = Volume(k.field.grid());
    const double dr = chi_separation_dr(b0);
    for (int64_t v = 0; v < k.r2prime.voxels(); ++v)
      k.r2prime[v] = float(dr * (k.sim.chi_para[v] - k.sim.chi_dia[v]));
    ChiSeparationInput in{k.field, k.sim.brain_mask, k.sim.r2star, k.sim.b0_direction, b0};
    in.r2prime = &k.r2prime;
    InversionCommon common;
    common.progress = false;
    k.sep = chi_separation(in, {}, common);
    return k;
  }();
  return c;
}

/// Worst absolute error (ppb) of the region means of `est` against `truth`, labels eroded by
/// `erode_mm` (regions left with fewer than `min_voxels` skipped); prints every region.
double worst_region_error_ppb(const LabelImage& labels, const Volume& truth, const Volume& est, const Mask& brain,
                              double erode_mm, const char* what, int* regions) {
  std::map<int32_t, int> ids;
  for (int64_t v = 0; v < labels.voxels(); ++v)
    if (labels[v] > 0) ids[labels[v]] = 1;
  double worst = 0;
  *regions = 0;
  for (const auto& [id, _] : ids) {
    Mask m(labels.grid());
    for (int64_t v = 0; v < m.voxels(); ++v) m[v] = labels[v] == id && brain[v];
    const Mask e = erode(m, erode_mm);
    double st = 0, se = 0;
    int64_t n = 0;
    for (int64_t v = 0; v < e.voxels(); ++v)
      if (e[v]) st += truth[v], se += est[v], ++n;
    if (n < 3) continue;
    const double err = 1000 * (se - st) / double(n);
    std::printf("  %s label %d: %lld voxels, truth %.1f ppb, error %+.1f ppb\n", what, id, (long long)n,
                1000 * st / double(n), err);
    worst = std::max(worst, std::fabs(err));
    ++*regions;
  }
  return worst;
}

}  // namespace

TEST(ChiSeparation, ComponentsMatchTruthWithTrueR2Prime) {
  const Case& k = phantom_case();
  const Simulation& s = k.sim;
  int n_dgm = 0, n_les = 0;
  // Eroded by one 2 mm voxel: the interiors.
  const double dgm_para = worst_region_error_ppb(s.deep_grey_labels, s.chi_para, k.sep.para, s.brain_mask, 2.0, "dgm para", &n_dgm);
  const double dgm_dia = worst_region_error_ppb(s.deep_grey_labels, s.chi_dia, k.sep.dia, s.brain_mask, 2.0, "dgm dia", &n_dgm);
  const double les_para = worst_region_error_ppb(s.lesion_labels, s.chi_para, k.sep.para, s.brain_mask, 2.0, "lesion para", &n_les);
  const double les_dia = worst_region_error_ppb(s.lesion_labels, s.chi_dia, k.sep.dia, s.brain_mask, 2.0, "lesion dia", &n_les);
  std::printf("worst |error| ppb: deep grey para %.1f dia %.1f (%d regions); lesions para %.1f dia %.1f (%d); %d iterations\n",
              dgm_para, dgm_dia, n_dgm, les_para, les_dia, n_les, k.sep.iterations);
  EXPECT_GE(n_dgm, 4);
  EXPECT_GE(n_les, 4);
  // Goal 10 ppb in deep grey matter and lesion interiors. Written with 4.0 / 4.0 and 3.4 / 3.0 ppb
  // worst (with the old ADMM penalty mu_data = 1 the lesions reached 11.8 / 11.5 ppb: not converged).
  EXPECT_LE(dgm_para, 6.0);
  EXPECT_LE(dgm_dia, 6.0);
  EXPECT_LE(les_para, 6.0);
  EXPECT_LE(les_dia, 6.0);
}

TEST(ChiSeparation, SignsHoldAndZeroOutsideMask) {
  const Case& k = phantom_case();
  for (int64_t v = 0; v < k.sep.para.voxels(); ++v) {
    ASSERT_GE(k.sep.para[v], 0.0f);
    ASSERT_LE(k.sep.dia[v], 0.0f);
    if (!k.sim.brain_mask[v]) {
      ASSERT_EQ(k.sep.para[v], 0.0f);
      ASSERT_EQ(k.sep.dia[v], 0.0f);
    }
  }
}

TEST(ChiSeparation, SumMatchesTvInversion) {
  const Case& k = phantom_case();
  InversionCommon common;
  common.progress = false;
  const InversionResult tvr = tv(InversionInput{k.field, k.sim.brain_mask, k.sim.b0_direction}, TvOptions{}, false, common);
  Volume sum(k.field.grid());
  for (int64_t v = 0; v < sum.voxels(); ++v) sum[v] = k.sep.para[v] + k.sep.dia[v];
  const double diff = nrmse_percent(tvr.chi, sum, k.sim.brain_mask);
  const double err_sum = nrmse_percent(k.sim.chi, sum, k.sim.brain_mask);
  const double err_tv = nrmse_percent(k.sim.chi, tvr.chi, k.sim.brain_mask);
  std::printf("para + dia vs TV: %.1f%% NRMSE; against the true chi: sum %.1f%%, TV %.1f%%\n", diff, err_sum, err_tv);
  EXPECT_LT(diff, 40.0);
  EXPECT_LT(err_sum, err_tv + 5.0);
}

TEST(ChiSeparation, R2StarOnlyBias) {
  const Case& k = phantom_case();
  ChiSeparationInput in{k.field, k.sim.brain_mask, k.sim.r2star, k.sim.b0_direction, 3.0};
  InversionCommon common;
  common.progress = false;
  ChiSeparationOptions o;
  o.max_iterations = 60;
  const ChiSeparationResult r = chi_separation(in, o, common);
  EXPECT_EQ(r.source, R2PrimeSource::r2star_only);
  int n = 0;
  const double para = worst_region_error_ppb(k.sim.deep_grey_labels, k.sim.chi_para, r.para, k.sim.brain_mask, 2.0, "R2*-only dgm para", &n);
  const double dia = worst_region_error_ppb(k.sim.deep_grey_labels, k.sim.chi_dia, r.dia, k.sim.brain_mask, 2.0, "R2*-only dgm dia", &n);
  std::printf("R2*-only, deep grey worst |error| ppb: para %.1f dia %.1f\n", para, dia);
  for (int64_t v = 0; v < r.para.voxels(); ++v) ASSERT_TRUE(r.para[v] >= 0 && r.dia[v] <= 0);
}

TEST(ChiSeparation, RejectsBadInput) {
  const Case& k = phantom_case();
  ChiSeparationInput in{k.field, k.sim.brain_mask, k.sim.r2star, k.sim.b0_direction, 3.0};
  in.r2 = &k.r2prime;
  in.r2prime = &k.r2prime;
  EXPECT_NE(error_of([&] { chi_separation(in); }).find("not both"), std::string::npos);
  in.r2 = nullptr;
  ChiSeparationOptions o;
  o.lambda = 0;
  EXPECT_NE(error_of([&] { chi_separation(in, o); }).find("must be positive"), std::string::npos);
  Volume wrong(Grid{{4, 4, 4}, {1, 1, 1}});
  ChiSeparationInput bad{k.field, k.sim.brain_mask, wrong, k.sim.b0_direction, 3.0};
  EXPECT_NE(error_of([&] { chi_separation(bad); }).find("R2*"), std::string::npos);
  EXPECT_DOUBLE_EQ(chi_separation_dr(7.0), 137.0 * 7.0 / 3.0);
}
