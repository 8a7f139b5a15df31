// The built-in phantom: anatomy and truth tables, physical consistency of signal and fields,
// noise level, determinism, and forward simulation of a given chi map.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qsmtk/convolution.h"
#include "qsmtk/kernels/dipole.h"
#include "qsmtk/kernels/laplacian.h"
#include "qsmtk/log.h"
#include "qsmtk/physics.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

namespace {

double wrap(double p) { return p - 2 * M_PI * std::floor((p + M_PI) / (2 * M_PI)); }

SimulationOptions small_case(const std::string& name, bool noise) {
  SimulationOptions o;
  o.acquisition = simulation_case(name, "small");
  o.noise = noise;
  o.phase_offset = true;
  o.seed = 7;
  return o;
}

/// Voxels of `label` in `labels` at least `margin` voxels from any other label or the edge.
std::vector<int64_t> interior(const LabelImage& labels, int32_t label, int margin) {
  std::vector<int64_t> out;
  const Dims& n = labels.dims();
  for (int64_t k = margin; k < n[2] - margin; ++k)
    for (int64_t j = margin; j < n[1] - margin; ++j)
      for (int64_t i = margin; i < n[0] - margin; ++i) {
        bool ok = true;
        for (int c = -margin; c <= margin && ok; ++c)
          for (int b = -margin; b <= margin && ok; ++b)
            for (int a = -margin; a <= margin && ok; ++a) ok = labels(i + a, j + b, k + c) == label;
        if (ok) out.push_back(labels.index(i, j, k));
      }
  return out;
}

class SmallPhantom : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log::set_level(log::Level::quiet);
    clean_ = new Simulation(simulate_phantom(small_case("std", false)));
    noisy_ = new Simulation(simulate_phantom(small_case("std", true)));
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete noisy_;
  }
  static Simulation* clean_;
  static Simulation* noisy_;
};
Simulation* SmallPhantom::clean_ = nullptr;
Simulation* SmallPhantom::noisy_ = nullptr;

}  // namespace

TEST_F(SmallPhantom, GeometryAndAcquisition) {
  const Simulation& s = *clean_;
  EXPECT_EQ(s.chi.dims(), (Dims{96, 112, 80}));
  EXPECT_DOUBLE_EQ(s.chi.grid().voxel_size[2], 2.0);
  EXPECT_EQ(s.magnitude.frames(), 5);
  EXPECT_EQ(s.phase.frames(), 5);
  EXPECT_NEAR(s.b0_direction[2], 1.0, 1e-12);
  int64_t brain = 0;
  for (uint8_t m : s.brain_mask) brain += m;
  const double litres = brain * 8e-6;
  EXPECT_GT(litres, 1.0);
  EXPECT_LT(litres, 1.7);
  for (float p : s.phase) ASSERT_LE(std::fabs(p), float(M_PI));  // wrapped, stored as float
}

TEST_F(SmallPhantom, TruthTablesFollowTheLiterature) {
  const Simulation& s = *clean_;
  ASSERT_EQ(s.deep_grey.size(), 14u);
  auto chi = [&](const std::string& name) {
    for (const auto& r : s.deep_grey)
      if (r.name == name) return r.chi_ppm;
    ADD_FAILURE() << name;
    return 0.0;
  };
  for (const std::string side : {"Left-", "Right-"}) {
    // Voxel means at 2 mm are diluted by partial volume; the order and rough size must hold.
    EXPECT_GT(chi(side + "GlobusPallidus"), 0.13);
    EXPECT_LT(chi(side + "GlobusPallidus"), 0.20);
    EXPECT_GT(chi(side + "GlobusPallidus"), chi(side + "SubstantiaNigra"));
    EXPECT_GT(chi(side + "SubstantiaNigra"), chi(side + "Putamen"));
    EXPECT_GT(chi(side + "RedNucleus"), chi(side + "Putamen"));
    EXPECT_GT(chi(side + "Dentate"), chi(side + "Caudate"));
    EXPECT_GT(chi(side + "Putamen"), chi(side + "Thalamus"));
    EXPECT_NEAR(chi(side + "Thalamus"), 0.01, 0.01);
  }
  ASSERT_EQ(s.lesions.size(), 16u);
  int prl = 0, partial = 0, homogeneous = 0, hypo = 0;
  for (const auto& l : s.lesions) {
    EXPECT_GE(l.radius_mm, 2.0);
    EXPECT_LE(l.radius_mm, 6.0);
    EXPECT_GT(l.voxels, 0) << l.name;
    EXPECT_EQ(l.prl, l.rim_coverage >= 2.0 / 3.0) << l.name;
    if (l.type == "prl") {
      ++prl;
      EXPECT_TRUE(l.rim_coverage == 1.0 || l.rim_coverage == 0.75);
      EXPECT_GE(1000 * (l.rim_chi_ppm - l.wm_chi_ppm), 30.0);
      EXPECT_LE(1000 * (l.rim_chi_ppm - l.wm_chi_ppm), 60.0);
    }
    if (l.type == "partial_rim") {
      ++partial;
      EXPECT_EQ(l.rim_coverage, 0.5);
    }
    if (l.type == "homogeneous") {
      ++homogeneous;
      EXPECT_TRUE(std::isnan(l.rim_chi_ppm));
    }
    if (l.type == "hypodiamagnetic") ++hypo;
  }
  EXPECT_EQ(prl, 6);
  EXPECT_EQ(partial, 3);
  EXPECT_EQ(homogeneous, 5);
  EXPECT_EQ(hypo, 2);
  // Every lesion label holds exactly the voxels whose centres lie in its sphere.
  for (const auto& l : s.lesions) {
    int64_t n = 0;
    for (int32_t v : s.lesion_labels) n += v == l.index;
    EXPECT_EQ(n, l.voxels);
  }
}

TEST_F(SmallPhantom, PhaseFollowsTheTrueFieldWithPositiveSign) {
  // phase(TE) = phi0 + 2 pi f TE: echo differences give the true total field in Hz.
  const Simulation& s = *clean_;
  const auto& te = s.options.acquisition.echo_times_s;
  const auto wm = interior(s.tissue_labels, kTissueWM, 1);
  ASSERT_GT(wm.size(), 1000u);
  std::vector<double> err;
  double offset = 0;
  for (int64_t v : wm) {
    const double f = s.total_field_hz[v];
    const double d = wrap(s.phase.frame(1)[v] - s.phase.frame(0)[v] - 2 * M_PI * f * (te[1] - te[0]));
    err.push_back(std::fabs(d));
    offset += std::fabs(wrap(s.phase.frame(0)[v] - 2 * M_PI * f * te[0]));
  }
  std::sort(err.begin(), err.end());
  RecordProperty("p95_phase_error_rad", std::to_string(err[err.size() * 95 / 100]));
  EXPECT_LT(err[err.size() * 95 / 100], 0.05);  // radians
  EXPECT_GT(offset / double(wm.size()), 0.3);    // a real receiver phase offset is present
}

TEST_F(SmallPhantom, MagnitudeDecaysWithTrueR2Star) {
  const Simulation& s = *clean_;
  const double dte = s.options.acquisition.echo_times_s[2] - s.options.acquisition.echo_times_s[0];
  for (int32_t tissue : {kTissueWM, kTissueGM, kTissueCSF}) {
    std::vector<double> ratio, expect;
    for (int64_t v : interior(s.tissue_labels, tissue, tissue == kTissueWM ? 1 : 0)) {
      ratio.push_back(s.magnitude.frame(2)[v] / s.magnitude.frame(0)[v]);
      expect.push_back(std::exp(-s.r2star[v] * dte));
    }
    ASSERT_GT(ratio.size(), 50u) << tissue;
    std::nth_element(ratio.begin(), ratio.begin() + ratio.size() / 2, ratio.end());
    std::nth_element(expect.begin(), expect.begin() + expect.size() / 2, expect.end());
    EXPECT_NEAR(ratio[ratio.size() / 2], expect[expect.size() / 2], 0.02) << "tissue " << tissue;
  }
}

TEST_F(SmallPhantom, NoiseMatchesTheStatedSnr) {
  const Simulation& s = *noisy_;
  // Air far from the head: magnitude is Rayleigh with mean sigma sqrt(pi/2).
  double sum = 0;
  int64_t n = 0;
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t j = 0; j < 8; ++j)
      for (int64_t i = 0; i < 8; ++i)
        for (int64_t e = 0; e < 5; ++e) sum += s.magnitude(i, j, k, e), ++n;
  EXPECT_NEAR(sum / double(n), s.noise_sd * std::sqrt(M_PI / 2), 0.05 * s.noise_sd);
  double brain = 0;
  int64_t nb = 0;
  for (int64_t v = 0; v < s.chi.voxels(); ++v)
    if (s.brain_mask[v]) brain += s.magnitude[v], ++nb;
  EXPECT_NEAR(brain / double(nb) / s.noise_sd, 100.0, 1.0);
}

TEST_F(SmallPhantom, LocalFieldIsTheFieldOfTheBrainSources) {
  // The truth local field (Hz) equals D * chi (ppm, demeaned, masked) * gammabar B0 up to the
  // resolution of the output grid; total - local is harmonic inside the brain (background).
  const Simulation& s = *clean_;
  const Grid& g = s.chi.grid();
  double mean = 0, n = 0;
  for (int64_t v = 0; v < g.voxels(); ++v)
    if (s.brain_mask[v]) mean += s.chi[v], n += 1;
  mean /= n;
  Volume src(g);
  for (int64_t v = 0; v < g.voxels(); ++v) src[v] = s.brain_mask[v] ? float(s.chi[v] - mean) : 0.0f;
  const Volume field = dipole_convolve(src, s.b0_direction, {48, 56, 40});
  const double hz = hz_per_ppm(3.0);
  const auto inner = interior(LabelImage([&] {
                                LabelImage l(g);
                                for (int64_t v = 0; v < g.voxels(); ++v) l[v] = s.brain_mask[v];
                                return l;
                              }()),
                              1, 3);
  double num = 0, den = 0;
  for (int64_t v : inner) num += std::pow(s.local_field_hz[v] - hz * field[v], 2), den += std::pow(s.local_field_hz[v], 2);
  RecordProperty("local_vs_dipole_of_chi_rel_rms", std::to_string(std::sqrt(num / den)));
  EXPECT_LT(std::sqrt(num / den), 0.15);

  Volume bg(g), lap_bg(g), lap_local(g);
  for (int64_t v = 0; v < g.voxels(); ++v) bg[v] = s.total_field_hz[v] - s.local_field_hz[v];
  laplacian_fd(bg.data(), lap_bg.data(), g.dims, g.voxel_size, Boundary::neumann);
  laplacian_fd(s.local_field_hz.data(), lap_local.data(), g.dims, g.voxel_size, Boundary::neumann);
  double lb = 0, ll = 0;
  for (int64_t v : inner) lb += std::fabs(lap_bg[v]), ll += std::fabs(lap_local[v]);
  RecordProperty("laplacian_background_over_local", std::to_string(lb / ll));
  EXPECT_LT(lb / ll, 0.1);
}

TEST(Phantom, DeterministicForASeedAndDifferentAcrossSeeds) {
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("std", true);
  o.acquisition.voxel_mm = {3, 3, 3};
  const Simulation a = simulate_phantom(o), b = simulate_phantom(o);
  EXPECT_TRUE(std::equal(a.phase.begin(), a.phase.end(), b.phase.begin()));
  EXPECT_TRUE(std::equal(a.magnitude.begin(), a.magnitude.end(), b.magnitude.begin()));
  EXPECT_TRUE(std::equal(a.chi.begin(), a.chi.end(), b.chi.begin()));
  o.seed = 8;
  const Simulation c = simulate_phantom(o);
  EXPECT_NE(a.lesions[0].centre_mm, c.lesions[0].centre_mm);
}

TEST(Phantom, ObliqueCaseHasObliqueB0AndConsistentPhase) {
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("oblique", false);
  o.acquisition.voxel_mm = {3, 3, 3};
  const Simulation s = simulate_phantom(o);
  EXPECT_LT(s.b0_direction[2], 0.95);
  EXPECT_NEAR(norm(s.b0_direction), 1.0, 1e-12);
  const Vec3 from_affine = b0_direction(s.chi.grid());
  EXPECT_NEAR(norm(from_affine - s.b0_direction), 0.0, 1e-12);
  const auto& te = o.acquisition.echo_times_s;
  std::vector<double> err;
  for (int64_t v : interior(s.tissue_labels, kTissueWM, 1))
    err.push_back(std::fabs(
        wrap(s.phase.frame(1)[v] - s.phase.frame(0)[v] - 2 * M_PI * s.total_field_hz[v] * (te[1] - te[0]))));
  ASSERT_GT(err.size(), 100u);
  std::sort(err.begin(), err.end());
  EXPECT_LT(err[err.size() * 95 / 100], 0.05);
}

TEST(Phantom, FromChiReproducesThePhantomFields) {
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("std", false);
  o.acquisition.voxel_mm = {3, 3, 3};
  const Simulation p = simulate_phantom(o);
  const Simulation f = simulate_from_chi(p.chi, &p.brain_mask, o);
  // Same chi, a coarser model of it (voxel blocks instead of smooth shapes): fields agree in
  // the brain to a few percent of their spread.
  double num = 0, den = 0, mean_p = 0, mean_f = 0, n = 0;
  for (int64_t v = 0; v < p.chi.voxels(); ++v)
    if (p.brain_mask[v]) mean_p += p.total_field_hz[v], mean_f += f.total_field_hz[v], n += 1;
  mean_p /= n, mean_f /= n;
  for (int64_t v = 0; v < p.chi.voxels(); ++v)
    if (p.brain_mask[v]) {
      num += std::pow((f.total_field_hz[v] - mean_f) - (p.total_field_hz[v] - mean_p), 2);
      den += std::pow(p.total_field_hz[v] - mean_p, 2);
    }
  RecordProperty("from_chi_total_field_rel_rms", std::to_string(std::sqrt(num / den)));
  EXPECT_LT(std::sqrt(num / den), 0.1);
  EXPECT_EQ(f.magnitude.frames(), p.magnitude.frames());
  EXPECT_TRUE(std::equal(f.brain_mask.begin(), f.brain_mask.end(), p.brain_mask.begin()));
}

TEST(Phantom, RejectsBadOptions) {
  SimulationOptions o;
  o.acquisition = simulation_case("std", "small");
  o.acquisition.echo_times_s = {5.0};  // ms given as s
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  o.acquisition = simulation_case("std", "small");
  o.supersampling = 1;
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  EXPECT_THROW(simulation_case("8t"), std::invalid_argument);
  EXPECT_THROW(simulation_case("std", "huge"), std::invalid_argument);
}
