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

// ---- Follow-up sessions: new lesions, head motion, lesion changes ----

namespace {

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

/// Lesion fields that the seed decides (placement, kind and tissue values).
void expect_same_lesion(const Lesion& a, const Lesion& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.type, b.type) << a.name;
  EXPECT_EQ(a.centre_mm, b.centre_mm) << a.name;
  EXPECT_EQ(a.centre_world_mm, b.centre_world_mm) << a.name;
  EXPECT_EQ(a.radius_mm, b.radius_mm) << a.name;
  EXPECT_EQ(a.core_chi_ppm, b.core_chi_ppm) << a.name;
  EXPECT_TRUE(same_value(a.rim_chi_ppm, b.rim_chi_ppm)) << a.name;
  EXPECT_EQ(a.rim_coverage, b.rim_coverage) << a.name;
  EXPECT_EQ(a.rim_start_rad, b.rim_start_rad) << a.name;
  EXPECT_EQ(a.prl, b.prl) << a.name;
}

/// World position (mm) of the centroid of the voxels with `label`.
Vec3 label_centroid_world(const LabelImage& labels, int32_t label) {
  Vec3 sum{};
  int64_t n = 0;
  const Dims& d = labels.dims();
  for (int64_t k = 0; k < d[2]; ++k)
    for (int64_t j = 0; j < d[1]; ++j)
      for (int64_t i = 0; i < d[0]; ++i)
        if (labels(i, j, k) == label) sum = sum + Vec3{double(i), double(j), double(k)}, ++n;
  return labels.grid().affine().apply((1.0 / double(n)) * sum);
}

/// Distances (voxels) between label centroids after the motion and the moved centroids before it.
struct CentroidErrors {
  double sum = 0, worst = 0;
  int n = 0;
  void add(const LabelImage& before, const LabelImage& after, int32_t label, const Mat4& world_motion, double voxel) {
    const double e =
        norm(label_centroid_world(after, label) - world_motion.apply(label_centroid_world(before, label))) / voxel;
    sum += e, worst = std::max(worst, e), ++n;
  }
  double mean() const { return n ? sum / n : 0.0; }
};

/// World point x moved by the world matrix m.
Vec3 moved_by(const Mat4& m, const Vec3& x) { return m.apply(x); }

}  // namespace

TEST(Phantom, LesionsOneToNStayWhenTheCountGrows) {
  // New lesions of a follow-up come from a larger --lesions: the earlier ones must not move.
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("std", false);
  o.acquisition.voxel_mm = {4, 4, 4};
  const Simulation a = simulate_phantom(o);
  o.lesion_count = 17;
  const Simulation b = simulate_phantom(o);
  ASSERT_EQ(a.lesions.size(), 16u);
  ASSERT_EQ(b.lesions.size(), 17u);
  for (size_t i = 0; i < 16; ++i) {
    expect_same_lesion(a.lesions[i], b.lesions[i]);
    EXPECT_EQ(a.lesions[i].voxels, b.lesions[i].voxels);
    EXPECT_NEAR(a.lesions[i].mean_chi_ppm, b.lesions[i].mean_chi_ppm, 1e-9);
  }
  EXPECT_GT(b.lesions[16].voxels, 0);
  EXPECT_TRUE(std::equal(a.deep_grey_labels.begin(), a.deep_grey_labels.end(), b.deep_grey_labels.begin()));
}

TEST(Phantom, HeadMotionRotatesAboutXFirst) {
  HeadMotion m;
  m.rotation_deg = {90, 0, 90};  // R = Rz(90) Rx(90): x -> y, y -> z
  const Mat3 r = m.rotation();
  EXPECT_NEAR(norm(r * Vec3{1, 0, 0} - Vec3{0, 1, 0}), 0.0, 1e-12);
  EXPECT_NEAR(norm(r * Vec3{0, 1, 0} - Vec3{0, 0, 1}), 0.0, 1e-12);
  EXPECT_TRUE(HeadMotion{}.is_identity());
  EXPECT_FALSE(m.is_identity());
  // World matrix on an oblique, anisotropic grid: a phantom-frame point p, at world A p,
  // moves to world A (R p + t).
  m.rotation_deg = {4, -3, 7};
  m.translation_mm = {2, -1, 3};
  const Grid g = Grid::centred({40, 50, 30}, {1, 1.5, 2}, Mat3::rotation({1, 0, 0}, 0.4) * Mat3::rotation({0, 1, 0}, 0.2));
  const Mat4 world = head_motion_world_matrix(m, g);
  auto to_world = [&](const Vec3& p) {
    return g.affine().apply({p[0] / 1.0 + 19.5, p[1] / 1.5 + 24.5, p[2] / 2.0 + 14.5});
  };
  for (const Vec3& p : {Vec3{0, 0, 0}, Vec3{10, -20, 5}, Vec3{-7, 3, 12}})
    EXPECT_NEAR(norm(moved_by(world, to_world(p)) - to_world(m.rotation() * p + m.translation_mm)), 0.0, 1e-9);
}

TEST_F(SmallPhantom, HeadMotionMovesTheHeadInsideTheFixedScanner) {
  const Simulation& still = *clean_;
  SimulationOptions o = still.options;
  o.follow_up.head_motion.rotation_deg = {0, 0, 5};
  o.follow_up.head_motion.translation_mm = {3, 0, 0};
  const Simulation moved = simulate_phantom(o);
  // Same grid and affine: the scanner did not move.
  ASSERT_TRUE(moved.chi.grid().same_space(still.chi.grid(), 1e-9));
  EXPECT_EQ(moved.b0_direction, still.b0_direction);
  const Mat4 m = head_motion_world_matrix(o.follow_up.head_motion, still.chi.grid());
  // The truth table gives the moved lesion centres; labels follow within the sampling error of
  // small structures on the grid (a few tenths of a voxel each, less on average). A motion
  // applied the wrong way round would be off by millimetres.
  const double voxel = still.chi.grid().voxel_size[0];
  CentroidErrors lesion_errors;
  for (size_t i = 0; i < still.lesions.size(); ++i) {
    const Lesion &a = still.lesions[i], &b = moved.lesions[i];
    EXPECT_NEAR(norm(b.centre_world_mm - moved_by(m, a.centre_world_mm)), 0.0, 1e-9) << a.name;
    lesion_errors.add(still.lesion_labels, moved.lesion_labels, a.index, m, voxel);
    EXPECT_EQ(b.core_chi_ppm, a.core_chi_ppm);
  }
  RecordProperty("lesion_centroid_error_voxels_mean", std::to_string(lesion_errors.mean()));
  RecordProperty("lesion_centroid_error_voxels_max", std::to_string(lesion_errors.worst));
  EXPECT_LT(lesion_errors.mean(), 0.25);
  EXPECT_LT(lesion_errors.worst, 0.5);
  // The chi of the head moved with it: deep grey matter keeps its place and its mean.
  CentroidErrors nucleus_errors;
  for (size_t i = 0; i < still.deep_grey.size(); ++i) {
    const DeepGreyRegion &a = still.deep_grey[i], &b = moved.deep_grey[i];
    nucleus_errors.add(still.deep_grey_labels, moved.deep_grey_labels, a.index, m, voxel);
    EXPECT_NEAR(b.chi_ppm, a.chi_ppm, 0.1 * std::fabs(a.chi_ppm) + 0.003) << a.name;
  }
  RecordProperty("nucleus_centroid_error_voxels_mean", std::to_string(nucleus_errors.mean()));
  RecordProperty("nucleus_centroid_error_voxels_max", std::to_string(nucleus_errors.worst));
  EXPECT_LT(nucleus_errors.mean(), 0.25);
  EXPECT_LT(nucleus_errors.worst, 0.5);
  int64_t brain_still = 0, brain_moved = 0;
  for (int64_t v = 0; v < still.chi.voxels(); ++v) brain_still += still.brain_mask[v], brain_moved += moved.brain_mask[v];
  EXPECT_NEAR(double(brain_moved) / double(brain_still), 1.0, 0.01);
}

TEST(Phantom, HeadMotionOntoGridPointsMovesTheTruthExactly) {
  // A shift by whole voxels, or a quarter turn about z (even dims: voxel centres sit at
  // half-integer offsets, which a quarter turn keeps), maps fine voxels onto fine voxels: the
  // truth chi (texture and lesion rims included) and labels are the unmoved ones, moved.
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("std", false);
  o.acquisition.voxel_mm = {4, 4, 4};
  const Simulation a = simulate_phantom(o);
  const Dims& n = a.chi.dims();
  ASSERT_TRUE(n[0] % 2 == 0 && n[1] % 2 == 0);
  // Compares b(i, j, k) with a at the voxel the head point came from, inside the brain.
  auto compare = [&](const Simulation& b, auto source_voxel) {
    double worst = 0;
    int64_t label_mismatches = 0, brain = 0;
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          if (!b.brain_mask(i, j, k)) continue;
          int64_t si, sj;
          source_voxel(i, j, si, sj);
          ASSERT_TRUE(si >= 0 && sj >= 0 && si < n[0] && sj < n[1]);
          ++brain;
          worst = std::max(worst, double(std::fabs(b.chi(i, j, k) - a.chi(si, sj, k))));
          label_mismatches += b.tissue_labels(i, j, k) != a.tissue_labels(si, sj, k) ||
                              b.lesion_labels(i, j, k) != a.lesion_labels(si, sj, k);
        }
    EXPECT_GT(brain, 10000);
    EXPECT_LT(worst, 1e-5);
    EXPECT_EQ(label_mismatches, 0);
  };
  o.follow_up.head_motion.translation_mm = {4, -8, 0};
  compare(simulate_phantom(o), [](int64_t i, int64_t j, int64_t& si, int64_t& sj) { si = i - 1, sj = j + 2; });
  // Rz(90): (x, y) -> (-y, x); the voxel at (x, y) holds the head point (y, -x).
  o.follow_up.head_motion.translation_mm = {0, 0, 0};
  o.follow_up.head_motion.rotation_deg = {0, 0, 90};
  const double cx = (n[0] - 1) / 2.0, cy = (n[1] - 1) / 2.0;
  compare(simulate_phantom(o), [&](int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    si = std::llround(cx + (double(j) - cy));
    sj = std::llround(cy - (double(i) - cx));
  });
}

TEST(Phantom, HeadMotionOnAnObliqueGridIsStatedInWorldCoordinates) {
  log::set_level(log::Level::quiet);
  SimulationOptions o = small_case("oblique", false);
  o.acquisition.voxel_mm = {3, 3, 3};
  const Simulation a = simulate_phantom(o);
  o.follow_up.head_motion.rotation_deg = {4, -3, 6};
  o.follow_up.head_motion.translation_mm = {2, -3, 1.5};
  const Simulation b = simulate_phantom(o);
  const Mat4 m = head_motion_world_matrix(o.follow_up.head_motion, a.chi.grid());
  for (size_t i = 0; i < a.lesions.size(); ++i)
    EXPECT_NEAR(norm(b.lesions[i].centre_world_mm - moved_by(m, a.lesions[i].centre_world_mm)), 0.0, 1e-9);
  LabelImage brain_a(a.chi.grid()), brain_b(b.chi.grid());
  for (int64_t v = 0; v < a.chi.voxels(); ++v) brain_a[v] = a.brain_mask[v], brain_b[v] = b.brain_mask[v];
  CentroidErrors brain, nuclei;
  brain.add(brain_a, brain_b, 1, m, 3.0);
  EXPECT_LT(brain.worst, 0.1);
  for (const auto& r : a.deep_grey) nuclei.add(a.deep_grey_labels, b.deep_grey_labels, r.index, m, 3.0);
  RecordProperty("nucleus_centroid_error_voxels_mean", std::to_string(nuclei.mean()));
  RecordProperty("nucleus_centroid_error_voxels_max", std::to_string(nuclei.worst));
  EXPECT_LT(nuclei.mean(), 0.25);
  EXPECT_LT(nuclei.worst, 0.6);
}

namespace {

/// The largest lesion of a simulation (the most voxels free of partial volume) and the first
/// PRL other than it.
int32_t largest_lesion(const Simulation& s) {
  const Lesion* best = &s.lesions.front();
  for (const auto& l : s.lesions)
    if (l.radius_mm > best->radius_mm) best = &l;
  return best->index;
}
int32_t first_prl_other_than(const Simulation& s, int32_t other) {
  for (const auto& l : s.lesions)
    if (l.type == "prl" && l.index != other) return l.index;
  return 0;
}

}  // namespace

TEST_F(SmallPhantom, LesionChangesAlterOnlyTheLesionsNamed) {
  const Simulation& before = *clean_;
  const int32_t grown = largest_lesion(before), rim_lost = first_prl_other_than(before, grown);
  ASSERT_GT(rim_lost, 0);
  SimulationOptions o = before.options;
  o.follow_up.lesion_change_ppb = {{grown, 10.0}};
  o.follow_up.lesions_rim_lost = {rim_lost};
  const Simulation after = simulate_phantom(o);
  ASSERT_EQ(after.lesions.size(), before.lesions.size());

  // +10 ppb of iron: core and rim values rise by exactly that; the true label mean by that,
  // less the partial volume of the white matter around it in edge voxels; voxels wholly inside
  // the lesion by 10 ppb.
  const Lesion &g0 = before.lesions[grown - 1], &g1 = after.lesions[grown - 1];
  EXPECT_NEAR(1000 * (g1.core_chi_ppm - g0.core_chi_ppm), 10.0, 1e-9);
  if (!std::isnan(g0.rim_chi_ppm)) {
    EXPECT_NEAR(1000 * (g1.rim_chi_ppm - g0.rim_chi_ppm), 10.0, 1e-9);
  }
  const auto inside = interior(before.lesion_labels, grown, 1);
  ASSERT_FALSE(inside.empty());
  double rise = 0;
  for (int64_t v : inside) rise += after.chi[v] - before.chi[v];
  rise = 1000 * rise / double(inside.size());
  RecordProperty("interior_rise_ppb", std::to_string(rise));
  RecordProperty("label_mean_rise_ppb", std::to_string(1000 * (g1.mean_chi_ppm - g0.mean_chi_ppm)));
  EXPECT_NEAR(rise, 10.0, 0.5);
  EXPECT_GT(1000 * (g1.mean_chi_ppm - g0.mean_chi_ppm), 6.0);
  EXPECT_LT(1000 * (g1.mean_chi_ppm - g0.mean_chi_ppm), 10.5);
  EXPECT_EQ(g1.voxels, g0.voxels);

  // Rim lost: no PRL any more, no rim, and the lesion's mean chi falls with its iron.
  const Lesion &r0 = before.lesions[rim_lost - 1], &r1 = after.lesions[rim_lost - 1];
  EXPECT_TRUE(r0.prl);
  EXPECT_FALSE(r1.prl);
  EXPECT_EQ(r1.rim_coverage, 0.0);
  EXPECT_EQ(r1.type, "rim_lost");
  EXPECT_EQ(r1.rim_chi_ppm, r1.core_chi_ppm);
  EXPECT_EQ(r1.core_chi_ppm, r0.core_chi_ppm);
  EXPECT_LT(r1.mean_chi_ppm, r0.mean_chi_ppm - 0.003);
  EXPECT_EQ(r1.centre_mm, r0.centre_mm);

  // Everything else is the seed's.
  for (size_t i = 0; i < before.lesions.size(); ++i) {
    if (before.lesions[i].index == grown || before.lesions[i].index == rim_lost) continue;
    expect_same_lesion(before.lesions[i], after.lesions[i]);
    EXPECT_EQ(before.lesions[i].mean_chi_ppm, after.lesions[i].mean_chi_ppm) << before.lesions[i].name;
  }
  for (size_t i = 0; i < before.deep_grey.size(); ++i) EXPECT_EQ(before.deep_grey[i].chi_ppm, after.deep_grey[i].chi_ppm);
  EXPECT_TRUE(std::equal(before.lesion_labels.begin(), before.lesion_labels.end(), after.lesion_labels.begin()));
}

TEST(Phantom, RejectsUnknownLesionsInChanges) {
  log::set_level(log::Level::quiet);
  SimulationOptions o;
  o.acquisition = simulation_case("std", "small");
  o.acquisition.voxel_mm = {4, 4, 4};
  o.follow_up.lesion_change_ppb = {{17, 5.0}};
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  o.follow_up.lesion_change_ppb = {{0, 5.0}};
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  o.follow_up.lesion_change_ppb.clear();
  o.follow_up.lesions_rim_lost = {20};
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  o.follow_up.lesions_rim_lost = {2};  // homogeneous: no rim to lose
  EXPECT_THROW(simulate_phantom(o), std::invalid_argument);
  o.follow_up.lesions_rim_lost.clear();
  o.follow_up.head_motion.translation_mm = {1, 0, 0};
  const Volume chi(Grid::centred({8, 8, 8}, {2, 2, 2}), 1, 0.01f);
  EXPECT_THROW(simulate_from_chi(chi, nullptr, o), std::invalid_argument);
}
