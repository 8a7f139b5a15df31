// Regional statistics: exact means and percentiles on synthetic labels, erosion, reference
// subtraction (brain, CSF mask or labels, a named region), bilateral rows, the iron calibration,
// normative z-scores for both models, lookup table parsing, and deep grey matter means on the
// phantom's true chi.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/log.h"
#include "qsmtk/sim/phantom.h"
#include "test_util.h"

using namespace qsmtk;

namespace {

/// 20^3 grid of 1 mm: label 1 "Left-Putamen" = a 6x6x6 cube at 50 ppb, label 2 "Right-Putamen"
/// = a 4x4x4 cube at 80 ppb, label 3 "CSF" = a 2x2x2 cube at -10 ppb; background 0 ppm.
struct Boxes {
  Volume chi;
  LabelImage labels;
  std::map<int32_t, std::string> names{{1, "Left-Putamen"}, {2, "Right-Putamen"}, {3, "CSF"}};
  Boxes() {
    const Grid g = Grid::centred({20, 20, 20}, {1, 1, 1});
    chi = Volume(g);
    labels = LabelImage(g);
    fill(1, 2, 6, 0.050f);
    fill(2, 12, 4, 0.080f);
    fill(3, 17, 2, -0.010f);
  }
  void fill(int32_t id, int64_t lo, int64_t n, float v) {
    for (int64_t k = lo; k < lo + n; ++k)
      for (int64_t j = lo; j < lo + n; ++j)
        for (int64_t i = lo; i < lo + n; ++i) labels(i, j, k) = id, chi(i, j, k) = v;
  }
  const RegionStats& row(const RoiStatsResult& r, const std::string& name) {
    for (const RegionStats& s : r.regions)
      if (s.name == name) return s;
    throw std::runtime_error("no row " + name);
  }
};

}  // namespace

TEST(RoiStats, ExactMeansVolumesPercentilesAndBilateralRows) {
  Boxes b;
  // A gradient inside label 1 along x: 40, 44, ..., 60 ppb (mean 50).
  for (int64_t k = 2; k < 8; ++k)
    for (int64_t j = 2; j < 8; ++j)
      for (int64_t i = 2; i < 8; ++i) b.chi(i, j, k) = float(0.040 + 0.004 * double(i - 2));
  const RoiStatsResult r = roi_stats(b.chi, b.labels, b.names);
  ASSERT_EQ(r.regions.size(), 4u);  // 3 labels + bilateral Putamen
  const RegionStats& l = b.row(r, "Left-Putamen");
  EXPECT_EQ(l.label, 1);
  EXPECT_EQ(l.hemisphere, "left");
  EXPECT_EQ(l.voxels, 216);
  EXPECT_DOUBLE_EQ(l.volume_mm3, 216.0);
  EXPECT_NEAR(l.mean_chi_ppb, 50.0, 1e-4);
  EXPECT_NEAR(l.median_chi_ppb, 50.0, 1e-4);
  // Type-7 percentiles of 36 copies of each of 40, 44, ..., 60: P10 at rank 21.5 -> 40, P90 at
  // rank 193.5 -> 60 (both inside a block of equal values).
  EXPECT_NEAR(l.p10_chi_ppb, 40.0, 1e-4);
  EXPECT_NEAR(l.p90_chi_ppb, 60.0, 1e-4);
  const double var = 4.0 * 4.0 * (35.0 / 12.0) * 216.0 / 215.0;  // discrete uniform over 6 levels
  EXPECT_NEAR(l.sd_chi_ppb, std::sqrt(var), 1e-3);
  EXPECT_NEAR(b.row(r, "Right-Putamen").mean_chi_ppb, 80.0, 1e-4);
  EXPECT_EQ(b.row(r, "CSF").hemisphere, "");
  const RegionStats& p = b.row(r, "Putamen");
  EXPECT_EQ(p.label, 0);
  EXPECT_EQ(p.hemisphere, "bilateral");
  EXPECT_EQ(p.labels, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p.voxels, 216 + 64);
  EXPECT_NEAR(p.mean_chi_ppb, (216 * 50.0 + 64 * 80.0) / 280.0, 1e-4);  // voxel-weighted
  RoiStatsOptions o;
  o.bilateral = false;
  EXPECT_EQ(roi_stats(b.chi, b.labels, b.names, o).regions.size(), 3u);
  // Unnamed labels get label_<n>.
  EXPECT_EQ(roi_stats(b.chi, b.labels, {}).regions[2].name, "label_3");
}

TEST(RoiStats, ErosionKeepsTheInteriorInMillimetres) {
  Boxes b;
  b.chi(2, 2, 2) = 1.0f;  // a corner outlier of label 1 that erosion removes
  RoiStatsOptions o;
  o.erode_mm = 1.0;  // drops the outer voxel layer (distance to outside 1 mm is not > 1)
  RoiStatsResult r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_EQ(b.row(r, "Left-Putamen").voxels, 64);  // 6^3 -> 4^3
  EXPECT_EQ(b.row(r, "Left-Putamen").voxels_before_erosion, 216);
  EXPECT_NEAR(b.row(r, "Left-Putamen").mean_chi_ppb, 50.0, 1e-4);
  EXPECT_EQ(b.row(r, "Right-Putamen").voxels, 8);   // 4^3 -> 2^3
  EXPECT_EQ(b.row(r, "CSF").voxels, 0);             // 2^3 -> nothing
  EXPECT_TRUE(std::isnan(b.row(r, "CSF").mean_chi_ppb));
  // Anisotropic voxels: 0.5 mm in x, so 1 mm removes two layers in x and one in y and z.
  Grid g = b.chi.grid();
  g.voxel_size = {0.5, 1, 1};
  b.chi.grid() = g;
  b.labels.grid() = g;
  r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_EQ(b.row(r, "Left-Putamen").voxels, 2 * 4 * 4);
}

TEST(RoiStats, ReferenceSubtraction) {
  Boxes b;
  Mask brain(b.chi.grid(), 1, 1);  // whole grid: mean = (216*50 + 64*80 - 8*10) / 8000
  RoiStatsOptions o;
  o.reference = RoiReference::brain;
  RoiStatsResult r = roi_stats(b.chi, b.labels, b.names, o, &brain);
  const double whole = (216 * 50.0 + 64 * 80.0 - 8 * 10.0) / 8000.0;
  EXPECT_NEAR(r.reference_chi_ppb, whole, 1e-4);
  EXPECT_EQ(r.reference_voxels, 8000);
  EXPECT_NEAR(b.row(r, "Left-Putamen").mean_chi_ppb, 50.0 - whole, 1e-4);
  EXPECT_NEAR(b.row(r, "Left-Putamen").p90_chi_ppb, 50.0 - whole, 1e-4);
  EXPECT_NEAR(b.row(r, "Left-Putamen").sd_chi_ppb, 0.0, 1e-4);
  EXPECT_NE(test::error_of([&] { roi_stats(b.chi, b.labels, b.names, o); }).find("brain mask"), std::string::npos);

  // CSF from labels named CSF / *Ventricle* ...
  o.reference = RoiReference::csf;
  r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_NEAR(r.reference_chi_ppb, -10.0, 1e-4);
  EXPECT_NEAR(b.row(r, "Right-Putamen").mean_chi_ppb, 90.0, 1e-4);
  EXPECT_NE(r.reference_description.find("CSF"), std::string::npos);
  // ... or from a mask (here: the right putamen's box).
  Mask csf(b.chi.grid());
  for (int64_t q = 0; q < csf.voxels(); ++q) csf[q] = b.labels[q] == 2;
  r = roi_stats(b.chi, b.labels, b.names, o, nullptr, &csf);
  EXPECT_NEAR(r.reference_chi_ppb, 80.0, 1e-4);
  EXPECT_EQ(r.reference_description, "csf (mask)");
  std::map<int32_t, std::string> no_csf{{1, "A"}, {2, "B"}, {3, "C"}};
  EXPECT_NE(test::error_of([&] { roi_stats(b.chi, b.labels, no_csf, o); }).find("CSF"), std::string::npos);

  // A named region, or a bilateral name for both sides.
  o.reference = RoiReference::region;
  o.reference_region = "Right-Putamen";
  EXPECT_NEAR(roi_stats(b.chi, b.labels, b.names, o).reference_chi_ppb, 80.0, 1e-4);
  o.reference_region = "Putamen";
  EXPECT_NEAR(roi_stats(b.chi, b.labels, b.names, o).reference_chi_ppb, (216 * 50.0 + 64 * 80.0) / 280.0, 1e-4);
  o.reference_region = "Nowhere";
  EXPECT_NE(test::error_of([&] { roi_stats(b.chi, b.labels, b.names, o); }).find("Nowhere"), std::string::npos);
}

TEST(RoiStats, IronCalibrationIsLinear) {
  const IronCalibration def;
  EXPECT_DOUBLE_EQ(def.slope_ppb_per_ug_g, 0.97);
  EXPECT_DOUBLE_EQ(def.intercept_ppb, -11.0);
  EXPECT_NE(def.source.find("Langkammer"), std::string::npos);
  EXPECT_NEAR(iron_estimate_ug_per_g(-11.0, def), 0.0, 1e-12);
  EXPECT_NEAR(iron_estimate_ug_per_g(86.0, def), 100.0, 1e-9);
  IronCalibration c{2.0, 10.0, "test"};
  EXPECT_DOUBLE_EQ(iron_estimate_ug_per_g(30.0, c), 10.0);
  c.slope_ppb_per_ug_g = 0;
  EXPECT_NE(test::error_of([&] { iron_estimate_ug_per_g(1.0, c); }).find("slope"), std::string::npos);
  Boxes b;
  RoiStatsOptions o;
  o.iron = IronCalibration{2.0, 10.0, "test"};
  const RoiStatsResult r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_NEAR(b.row(r, "Left-Putamen").iron_ug_per_g, 20.0, 1e-4);
  EXPECT_NEAR(b.row(r, "Right-Putamen").iron_ug_per_g, 35.0, 1e-4);
  EXPECT_TRUE(std::isnan(roi_stats(b.chi, b.labels, b.names).regions[0].iron_ug_per_g));
}

TEST(RoiStats, NormativeZScoresForBothModels) {
  Table t{{"region", "model", "a", "b", "c", "sd"},
          {{"Left-Putamen", "linear", "20", "0.5", "n/a", "5"},
           {"Right-Putamen", "exponential", "100", "0.05", "-20", "8"}}};
  const std::vector<NormativeCurve> n = normative_curves(t);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_DOUBLE_EQ(n[0].expected_ppb(40), 40.0);
  EXPECT_DOUBLE_EQ(n[0].z(50, 40), 2.0);
  const double e = 100 * (1 - std::exp(-0.05 * 30)) - 20;
  EXPECT_DOUBLE_EQ(n[1].expected_ppb(30), e);
  Boxes b;
  RoiStatsOptions o;
  o.norms = n;
  RoiStatsResult r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_TRUE(std::isnan(b.row(r, "Left-Putamen").z));  // no age: no z
  o.age_years = 30;
  r = roi_stats(b.chi, b.labels, b.names, o);
  EXPECT_NEAR(b.row(r, "Left-Putamen").expected_chi_ppb, 35.0, 1e-9);
  EXPECT_NEAR(b.row(r, "Left-Putamen").z, (50.0 - 35.0) / 5.0, 1e-4);
  EXPECT_NEAR(b.row(r, "Right-Putamen").z, (80.0 - e) / 8.0, 1e-4);
  EXPECT_TRUE(std::isnan(b.row(r, "CSF").z));
  t.rows[0][1] = "quadratic";
  EXPECT_NE(test::error_of([&] { normative_curves(t); }).find("quadratic"), std::string::npos);
  t.rows[0][1] = "linear";
  t.rows[0][5] = "0";
  EXPECT_NE(test::error_of([&] { normative_curves(t); }).find("sd"), std::string::npos);
}

TEST(RoiStats, LookupTablesFreeSurferAndBids) {
  const std::string fs =
      "#$Id: FreeSurferColorLUT.txt $\n"
      "\n"
      "#No. Label Name:                            R   G   B   A\n"
      "0   Unknown                                 0   0   0   0\n"
      "4   Left-Lateral-Ventricle                120  18 134   0\n"
      "12  Left-Putamen                          236  13 176   0\n"
      "\t51  Right-Putamen                       236  13 176   0\n"
      "1035 ctx-lh-insula                        255 192  32   0\n";
  const auto n = parse_label_lut(fs);
  ASSERT_EQ(n.size(), 5u);
  EXPECT_EQ(n.at(4), "Left-Lateral-Ventricle");
  EXPECT_EQ(n.at(51), "Right-Putamen");
  EXPECT_EQ(n.at(1035), "ctx-lh-insula");
  const auto t = parse_label_lut("index\tname\tchi_ppm\n1\tLeft-Caudate\t0.05\n2\tRight-Caudate\t0.05\n");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.at(2), "Right-Caudate");
  const auto swapped = parse_label_lut("name\tindex\nCSF\t24\n");
  EXPECT_EQ(swapped.at(24), "CSF");
  EXPECT_NE(test::error_of([] { parse_label_lut("12\n", "my.lut"); }).find("my.lut"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_label_lut("x Putamen 1 2 3 0\n"); }).find("line 1"), std::string::npos);
}

TEST(RoiStats, BadInput) {
  Boxes b;
  LabelImage other(Grid::centred({10, 10, 10}, {1, 1, 1}));
  EXPECT_NE(test::error_of([&] { roi_stats(b.chi, other, b.names); }).find("label image"), std::string::npos);
  b.chi(3, 3, 3) = NAN;
  EXPECT_NE(test::error_of([&] { roi_stats(b.chi, b.labels, b.names); }).find("Left-Putamen"), std::string::npos);
}

// The phantom's deep grey matter from its true chi (2 mm voxels): every region's mean within
// 2 ppb of the truth (the simulation records the mean of the true chi over each label).
TEST(RoiStatsPhantom, DeepGreyMatterMeansFromTrueChi) {
  log::set_level(log::Level::quiet);
  SimulationOptions so;
  so.acquisition = simulation_case("std", "small");
  so.noise = false;
  so.seed = 7;
  so.acquisition.echo_times_s = {0.005};  // only the truth maps are used
  so.phase_offset = false;
  so.pad_fraction = 0.02;
  const Simulation s = simulate_phantom(so);
  std::map<int32_t, std::string> names;
  for (const DeepGreyRegion& d : s.deep_grey) names[d.index] = d.name;
  const RoiStatsResult r = roi_stats(s.chi, s.deep_grey_labels, names, {}, &s.brain_mask);
  double worst = 0;
  for (const DeepGreyRegion& d : s.deep_grey) {
    const auto it = std::find_if(r.regions.begin(), r.regions.end(), [&](const RegionStats& x) { return x.label == d.index; });
    ASSERT_NE(it, r.regions.end()) << d.name;
    EXPECT_EQ(it->name, d.name);
    EXPECT_EQ(it->voxels, d.voxels) << d.name;
    worst = std::max(worst, std::fabs(it->mean_chi_ppb - 1000 * d.chi_ppm));
  }
  std::printf("%zu deep grey regions, worst mean error %.4f ppb\n", s.deep_grey.size(), worst);
  EXPECT_LE(worst, 2.0);
  // Erosion by one voxel keeps the interior, still near the truth for the larger nuclei.
  RoiStatsOptions o;
  o.erode_mm = 2.0;
  const RoiStatsResult e = roi_stats(s.chi, s.deep_grey_labels, names, o, &s.brain_mask);
  for (const RegionStats& x : e.regions) EXPECT_LT(x.voxels, x.voxels_before_erosion) << x.name;
}
