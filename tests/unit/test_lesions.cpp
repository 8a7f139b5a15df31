// Lesion analysis: labels from masks / label images / probability maps, connectivity, digital
// spheres, resampling through affines, NAWM delta chi and the PRL rule on synthetic lesions and
// on the phantom's lesions (true chi), and bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "qsmtk/analysis/lesions.h"
#include "qsmtk/log.h"
#include "qsmtk/sim/phantom.h"
#include "test_util.h"

using namespace qsmtk;

namespace {

/// Lattice points of a grid of voxel h (centred) within `radius_mm` of the centre voxel.
int64_t sphere_count(const Dims& n, const Vec3& h, double radius_mm) {
  int64_t c = 0;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        const double x = (i - n[0] / 2) * h[0], y = (j - n[1] / 2) * h[1], z = (k - n[2] / 2) * h[2];
        c += x * x + y * y + z * z <= radius_mm * radius_mm;
      }
  return c;
}

enum class Kind { uniform, full_rim, half_rim };

/// A sphere of radius 6 mm on a 1 mm grid in a uniform background of 0 ppm; rim = the outer
/// 1.5 mm at +40 ppb with a -10 ppb core; uniform = +30 ppb throughout.
struct Synthetic {
  Volume chi;
  LabelImage labels;
  Mask brain;
  explicit Synthetic(Kind kind, double radius = 6.0) {
    const Grid g = Grid::centred({40, 40, 40}, {1, 1, 1});
    chi = Volume(g);
    labels = LabelImage(g);
    brain = Mask(g, 1, 1);
    for (int64_t k = 0; k < 40; ++k)
      for (int64_t j = 0; j < 40; ++j)
        for (int64_t i = 0; i < 40; ++i) {
          const double x = i - 20, y = j - 20, z = k - 20, d = std::sqrt(x * x + y * y + z * z);
          if (d > radius) continue;
          labels(i, j, k) = 5;
          const bool edge = d > radius - 1.5;
          const bool arc = kind == Kind::full_rim || (kind == Kind::half_rim && y >= 0);
          chi(i, j, k) = kind == Kind::uniform ? 0.030f : (edge && arc ? 0.040f : -0.010f);
        }
  }
};

}  // namespace

TEST(Lesions, DigitalSphereVoxelCountsAndVolumes) {
  // Lattice points with x^2 + y^2 + z^2 <= r^2 (in voxels): 33 for r = 2, 123 for r = 3.
  for (const auto& [h, radius, expected] : std::vector<std::tuple<Vec3, double, int64_t>>{
           {{1, 1, 1}, 2.0, 33}, {{1, 1, 1}, 3.0, 123}, {{2, 2, 2}, 6.0, 123}, {{0.5, 0.5, 1.0}, 3.0, -1}}) {
    const Dims n{33, 33, 17};
    const Grid g = Grid::centred(n, h);
    Mask m(g);
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          const double x = (i - 16) * h[0], y = (j - 16) * h[1], z = (k - 8) * h[2];
          m(i, j, k) = x * x + y * y + z * z <= radius * radius;
        }
    const int64_t want = expected > 0 ? expected : sphere_count(n, h, radius);
    const LabelImage labels = lesion_labels_from_mask(m, 26);
    const LesionAnalysis a = analyse_lesions(Volume(g), labels);
    ASSERT_EQ(a.lesions.size(), 1u);
    EXPECT_EQ(a.lesions[0].id, 1);
    EXPECT_EQ(a.lesions[0].voxels, want);
    EXPECT_DOUBLE_EQ(a.lesions[0].volume_mm3, double(want) * h[0] * h[1] * h[2]);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.lesions[0].centroid_world_mm[c], 0.0, 1e-9);  // centred grid
  }
}

TEST(Lesions, ConnectivityAndMinimumSize) {
  // A and B share an edge, B and C a corner only; D is a separate 2x2x2 cube.
  const Grid g = Grid::centred({12, 12, 12}, {1, 1, 1});
  Mask m(g);
  m(2, 2, 2) = m(3, 3, 2) = m(4, 4, 3) = 1;
  for (int k = 7; k < 9; ++k)
    for (int j = 7; j < 9; ++j)
      for (int i = 7; i < 9; ++i) m(i, j, k) = 1;
  auto count = [](const LabelImage& l) {
    int32_t n = 0;
    for (int32_t x : l) n = std::max(n, x);
    return n;
  };
  EXPECT_EQ(count(lesion_labels_from_mask(m, 6)), 4);
  EXPECT_EQ(count(lesion_labels_from_mask(m, 18)), 3);
  EXPECT_EQ(count(lesion_labels_from_mask(m, 26)), 2);
  // Minimum size in mm^3: the cube (8 mm^3) stays, singletons go; with 26 the chain (3) too.
  EXPECT_EQ(count(lesion_labels_from_mask(m, 6, 2.0)), 1);
  EXPECT_EQ(count(lesion_labels_from_mask(m, 26, 3.0)), 2);
  EXPECT_EQ(count(lesion_labels_from_mask(m, 26, 8.5)), 0);
  EXPECT_NE(test::error_of([&] { lesion_labels_from_mask(m, 8); }).find("connectivity"), std::string::npos);
}

TEST(Lesions, InputKindsLabelsAndProbabilities) {
  const Grid g = Grid::centred({10, 10, 10}, {1, 1, 1});
  Volume v(g);
  v(1, 1, 1) = v(1, 2, 1) = 1;  // one component
  v(6, 6, 6) = 1;
  EXPECT_EQ(detect_lesion_kind(v), LesionInputKind::binary);
  LabelImage l = lesion_labels(v);
  EXPECT_EQ(l(1, 1, 1), 1);  // bigger component first
  EXPECT_EQ(l(6, 6, 6), 2);

  v(6, 6, 6) = 7;  // label image: ids kept, touching labels stay apart
  v(1, 2, 1) = 3;
  EXPECT_EQ(detect_lesion_kind(v), LesionInputKind::labels);
  l = lesion_labels(v);
  EXPECT_EQ(l(6, 6, 6), 7);
  EXPECT_EQ(l(1, 2, 1), 3);
  EXPECT_EQ(l(1, 1, 1), 1);
  const LesionAnalysis a = analyse_lesions(Volume(g), l);
  ASSERT_EQ(a.lesions.size(), 3u);
  EXPECT_EQ(a.lesions[0].id, 1);
  EXPECT_EQ(a.lesions[1].id, 3);
  EXPECT_EQ(a.lesions[2].id, 7);

  Volume p(g);
  p(1, 1, 1) = 0.7f;
  p(1, 2, 1) = 0.5f;  // at the threshold: lesion
  p(1, 3, 1) = 0.49f;
  p(6, 6, 6) = 0.3f;
  EXPECT_EQ(detect_lesion_kind(p), LesionInputKind::probability);
  l = lesion_labels(p);
  EXPECT_EQ(l(1, 1, 1), 1);
  EXPECT_EQ(l(1, 2, 1), 1);
  EXPECT_EQ(l(1, 3, 1), 0);
  EXPECT_EQ(l(6, 6, 6), 0);
  LesionLabelOptions o;
  o.probability_threshold = 0.25;
  l = lesion_labels(p, o);
  EXPECT_EQ(l(1, 3, 1), 1);
  EXPECT_EQ(l(6, 6, 6), 2);

  p(0, 0, 0) = NAN;
  EXPECT_NE(test::error_of([&] { detect_lesion_kind(p); }).find("non-finite"), std::string::npos);
}

TEST(Lesions, ResamplingFromACoarserObliqueGridLandsOnTheRightVoxels) {
  // Chi grid: 1 mm, axis-aligned. Lesion grid: 2 mm, x flipped, y and z swapped, shifted so
  // that no fine centre lies on a coarse voxel face.
  const Grid fine = Grid::centred({24, 24, 24}, {1, 1, 1});
  Mat3 lin;
  lin.m = {{{-2, 0, 0}, {0, 0, 2}, {0, 2, 0}}};
  Grid coarse;
  coarse.dims = {12, 12, 12};
  coarse.voxel_size = {2, 2, 2};
  coarse.sform = Mat4::from(lin, {12, -12, -12});  // fine centres at half-integers, coarse faces at odd integers
  coarse.sform_code = 1;
  LabelImage src(coarse);
  src(3, 4, 5) = 9;
  src(8, 2, 6) = 4;
  const LabelImage out = resample_nearest(src, fine);
  const Mat4 to_coarse = coarse.affine().inverse();
  int64_t n9 = 0, n4 = 0;
  for (int64_t k = 0; k < 24; ++k)
    for (int64_t j = 0; j < 24; ++j)
      for (int64_t i = 0; i < 24; ++i) {
        const Vec3 c = to_coarse.apply(fine.affine().apply({double(i), double(j), double(k)}));
        auto within = [&](double a, double b, double cc) {
          return std::fabs(c[0] - a) < 0.5 && std::fabs(c[1] - b) < 0.5 && std::fabs(c[2] - cc) < 0.5;
        };
        const int32_t want = within(3, 4, 5) ? 9 : within(8, 2, 6) ? 4 : 0;
        ASSERT_EQ(out(i, j, k), want) << i << "," << j << "," << k;
        n9 += out(i, j, k) == 9;
        n4 += out(i, j, k) == 4;
      }
  EXPECT_EQ(n9, 8);  // a 2 mm voxel holds 2x2x2 fine voxels
  EXPECT_EQ(n4, 8);
  // The labels keep their ids through the analysis on the chi grid.
  const LesionAnalysis a = analyse_lesions(Volume(fine), out);
  ASSERT_EQ(a.lesions.size(), 2u);
  EXPECT_EQ(a.lesions[0].id, 4);
  EXPECT_DOUBLE_EQ(a.lesions[1].volume_mm3, 8.0);
}

TEST(Lesions, UniformParamagneticSphereIsNotARimLesion) {
  const Synthetic s(Kind::uniform);
  const LesionAnalysis a = analyse_lesions(s.chi, s.labels, {}, &s.brain);
  ASSERT_EQ(a.lesions.size(), 1u);
  const LesionStats& l = a.lesions[0];
  EXPECT_EQ(l.id, 5);
  EXPECT_EQ(l.reference, "shell");
  EXPECT_NEAR(l.reference_chi_ppb, 0.0, 1e-6);
  EXPECT_NEAR(l.delta_chi_ppb, 30.0, 1e-3);
  EXPECT_NEAR(l.median_chi_ppb, 30.0, 1e-3);
  EXPECT_NEAR(l.sd_chi_ppb, 0.0, 1e-3);
  EXPECT_NEAR(l.rim_score_ppb, 0.0, 1e-3);
  EXPECT_EQ(l.rim_slices, 0);
  EXPECT_FALSE(l.prl);
  EXPECT_EQ(a.prl_count, 0);
  EXPECT_FALSE(a.prl_at_least_1);
}

TEST(Lesions, FullRimSphereIsAPrlAndHalfRimIsNot) {
  const Synthetic full(Kind::full_rim), half(Kind::half_rim);
  const LesionAnalysis af = analyse_lesions(full.chi, full.labels, {}, &full.brain);
  const LesionAnalysis ah = analyse_lesions(half.chi, half.labels, {}, &half.brain);
  const LesionStats& f = af.lesions.at(0);
  const LesionStats& h = ah.lesions.at(0);
  EXPECT_TRUE(f.prl);
  EXPECT_NEAR(f.rim_coverage, 1.0, 1e-9);
  EXPECT_GE(f.rim_slices, 5);
  EXPECT_GT(f.rim_score_ppb, 40.0);  // rim +40 over a -10 core
  EXPECT_EQ(af.prl_count, 1);
  EXPECT_TRUE(af.prl_at_least_1);
  EXPECT_FALSE(af.prl_at_least_4);
  EXPECT_FALSE(h.prl);
  EXPECT_NEAR(h.rim_coverage, 0.5, 0.1);
  EXPECT_GT(h.rim_score_ppb, 10.0);
  // The radial profile: core low, edge high, NAWM 0 beyond the band that touches the rim.
  ASSERT_FALSE(f.profile.empty());
  EXPECT_NEAR(f.profile.front().mean_chi_ppb, -10.0, 1e-3);
  EXPECT_NEAR(f.profile.back().mean_chi_ppb, 0.0, 1e-3);
  EXPECT_NEAR(f.profile.back().to_mm, 3.0, 0.25);
  // The rule's thresholds are options: three consecutive slices, or a 60 ppb threshold.
  LesionAnalysisOptions o;
  o.threshold_ppb = 60;
  EXPECT_FALSE(analyse_lesions(full.chi, full.labels, o, &full.brain).lesions[0].prl);
  o = {};
  o.min_coverage = 0.4;
  EXPECT_TRUE(analyse_lesions(half.chi, half.labels, o, &half.brain).lesions[0].prl);
}

TEST(Lesions, WhiteMatterMaskReference) {
  Synthetic s(Kind::uniform);
  // WM at +5 ppb on the left half, GM at +50 ppb on the right: the WM shell is the reference.
  Mask wm(s.chi.grid());
  for (int64_t k = 0; k < 40; ++k)
    for (int64_t j = 0; j < 40; ++j)
      for (int64_t i = 0; i < 40; ++i)
        if (!s.labels(i, j, k)) {
          wm(i, j, k) = i < 20;
          s.chi(i, j, k) = i < 20 ? 0.005f : 0.050f;
        }
  LesionStats l = analyse_lesions(s.chi, s.labels, {}, &s.brain, &wm).lesions[0];
  EXPECT_EQ(l.reference, "wm_shell");
  EXPECT_NEAR(l.delta_chi_ppb, 25.0, 1e-3);
  // Too few WM voxels in the shell: the whole WM mask minus lesions.
  LesionAnalysisOptions o;
  o.min_reference_voxels = 100000;
  l = analyse_lesions(s.chi, s.labels, o, &s.brain, &wm).lesions[0];
  EXPECT_EQ(l.reference, "wm_global");
  EXPECT_NEAR(l.delta_chi_ppb, 25.0, 1e-3);
}

TEST(Lesions, BadInputAndNoLesions) {
  const Synthetic s(Kind::uniform);
  // No lesions: a valid, empty result.
  const LesionAnalysis none = analyse_lesions(s.chi, LabelImage(s.chi.grid()), {}, &s.brain);
  EXPECT_TRUE(none.lesions.empty());
  EXPECT_EQ(none.prl_count, 0);
  EXPECT_FALSE(none.prl_at_least_1);
  // Grids that differ.
  const LabelImage other(Grid::centred({40, 40, 41}, {1, 1, 1}));
  EXPECT_NE(test::error_of([&] { analyse_lesions(s.chi, other); }).find("lesion labels"), std::string::npos);
  const Mask shifted_brain(Grid::centred({40, 40, 40}, {1, 1, 1.2}), 1, 1);
  EXPECT_NE(test::error_of([&] { analyse_lesions(s.chi, s.labels, {}, &shifted_brain); }).find("brain mask"),
            std::string::npos);
  // NaN inside a lesion: an error naming the lesion; outside one: ignored.
  Volume chi = s.chi;
  chi(0, 0, 0) = NAN;
  EXPECT_NO_THROW(analyse_lesions(chi, s.labels, {}, &s.brain));
  chi(20, 20, 20) = NAN;
  EXPECT_NE(test::error_of([&] { analyse_lesions(chi, s.labels, {}, &s.brain); }).find("inside lesion 5"),
            std::string::npos);
}

namespace {

/// PRL truth vs result, precision/recall and delta chi errors printed per lesion.
struct Score {
  int tp = 0, fp = 0, fn = 0;
  double worst_delta_error = 0;
  double precision() const { return tp + fp ? double(tp) / (tp + fp) : 1.0; }
  double recall() const { return tp + fn ? double(tp) / (tp + fn) : 1.0; }
};

Score score(const Simulation& s, const LesionAnalysis& a, double delta_tolerance_ppb) {
  Score sc;
  EXPECT_EQ(a.lesions.size(), s.lesions.size());
  for (size_t n = 0; n < std::min(a.lesions.size(), s.lesions.size()); ++n) {
    const LesionStats& l = a.lesions[n];
    const Lesion& t = s.lesions[n];
    EXPECT_EQ(l.id, t.index);
    EXPECT_EQ(l.voxels, t.voxels);
    const double truth = 1000 * (t.mean_chi_ppm - t.wm_chi_ppm);  // the truth table's delta_chi_ppb
    EXPECT_NEAR(l.delta_chi_ppb, truth, delta_tolerance_ppb) << t.name << " " << t.type;
    sc.worst_delta_error = std::max(sc.worst_delta_error, std::fabs(l.delta_chi_ppb - truth));
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(l.centroid_world_mm[c], t.centre_world_mm[c], 1.0) << t.name;
    sc.tp += l.prl && t.prl;
    sc.fp += l.prl && !t.prl;
    sc.fn += !l.prl && t.prl;
    std::printf("%s %-15s r=%.1f delta %6.1f (truth %6.1f) cov %.2f (truth %.2f) slices %d prl %d/%d\n",
                t.name.c_str(), t.type.c_str(), t.radius_mm, l.delta_chi_ppb, truth, l.rim_coverage,
                t.rim_coverage, l.max_consecutive_rim_slices, l.prl, t.prl);
  }
  std::printf("worst delta chi error %.2f ppb; PRL precision %.2f recall %.2f (tp %d fp %d fn %d)\n",
              sc.worst_delta_error, sc.precision(), sc.recall(), sc.tp, sc.fp, sc.fn);
  EXPECT_EQ(a.prl_count, sc.tp + sc.fp);
  return sc;
}

Simulation truth_phantom(const std::string& size) {
  log::set_level(log::Level::quiet);
  SimulationOptions o;
  o.acquisition = simulation_case("std", size);
  o.noise = false;
  o.seed = 7;
  // Only the truth maps are used: one echo and little padding keep the signal part cheap.
  o.acquisition.echo_times_s = {0.005};
  o.phase_offset = false;
  o.pad_fraction = 0.02;
  return simulate_phantom(o);
}

}  // namespace

// 2 mm voxels: delta chi. The phantom's rims are 1 mm thick, half a voxel here: too thin for
// the rim rule, which is tested at 1 mm below.
TEST(LesionPhantom, DeltaChiFromTrueChiSmall) {
  const Simulation s = truth_phantom("small");
  const Score sc = score(s, analyse_lesions(s.chi, s.lesion_labels, {}, &s.brain_mask), 3.0);
  EXPECT_LE(sc.worst_delta_error, 3.0);
}

TEST(LesionPhantom, DeltaChiAndPrlFromTrueChiDefaultSize) {
  const Simulation s = truth_phantom("default");
  const Score sc = score(s, analyse_lesions(s.chi, s.lesion_labels, {}, &s.brain_mask), 3.0);
  EXPECT_GE(sc.precision(), 0.9);
  EXPECT_GE(sc.recall(), 0.9);
}
