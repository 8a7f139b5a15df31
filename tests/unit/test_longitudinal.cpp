// Lesion correspondence and change rows of the longitudinal analysis.
#include <gtest/gtest.h>

#include "qsmtk/analysis/longitudinal.h"
#include "test_util.h"

namespace qsmtk {
namespace {

/// Fills a box [lo, hi) of a label image.
void box(LabelImage& l, Dims lo, Dims hi, int32_t id) {
  for (int64_t k = lo[2]; k < hi[2]; ++k)
    for (int64_t j = lo[1]; j < hi[1]; ++j)
      for (int64_t i = lo[0]; i < hi[0]; ++i) l(i, j, k) = id;
}

TEST(Longitudinal, MatchesPersistingNewResolvedMergedAndSplitLesions) {
  const Grid g = Grid::centred({40, 40, 20}, {1, 1, 1});
  LabelImage base(g), later(g);
  box(base, {2, 2, 2}, {6, 6, 6}, 1);       // persists (shifted by one voxel)
  box(later, {3, 2, 2}, {7, 6, 6}, 4);
  box(base, {10, 2, 2}, {14, 6, 6}, 2);     // resolves
  box(base, {20, 2, 2}, {23, 6, 6}, 3);     // 3 and 5 merge into 7
  box(base, {24, 2, 2}, {27, 6, 6}, 5);
  box(later, {20, 2, 2}, {27, 6, 6}, 7);
  box(base, {2, 20, 2}, {12, 24, 6}, 6);    // splits into 8 and 9
  box(later, {2, 20, 2}, {6, 24, 6}, 8);
  box(later, {8, 20, 2}, {12, 24, 6}, 9);
  box(later, {30, 30, 10}, {33, 33, 13}, 2); // new (its id happens to be a baseline id)
  box(base, {30, 10, 10}, {34, 14, 14}, 10); // a touch of 1 voxel of 64 is no correspondence
  box(later, {33, 13, 13}, {37, 17, 17}, 11);

  const auto m = match_lesions(base, later, 0.1);
  auto find = [&](int32_t baseline_id) {
    for (const auto& c : m)
      if (!c.baseline_ids.empty() && c.baseline_ids.front() == baseline_id) return c;
    ADD_FAILURE() << "no row for baseline lesion " << baseline_id;
    return LesionCorrespondence{};
  };
  EXPECT_EQ(find(1).change, LesionChange::persisting);
  EXPECT_EQ(find(1).followup_ids, std::vector<int32_t>{4});
  EXPECT_EQ(find(2).change, LesionChange::resolved);
  EXPECT_EQ(find(3).change, LesionChange::merged);
  EXPECT_EQ(find(3).baseline_ids, (std::vector<int32_t>{3, 5}));
  EXPECT_EQ(find(6).change, LesionChange::split);
  EXPECT_EQ(find(6).followup_ids, (std::vector<int32_t>{8, 9}));
  EXPECT_EQ(find(10).change, LesionChange::resolved);
  int news = 0;
  for (const auto& c : m)
    if (c.change == LesionChange::new_lesion) {
      ++news;
      EXPECT_TRUE(c.followup_ids == std::vector<int32_t>{2} || c.followup_ids == std::vector<int32_t>{11});
    }
  EXPECT_EQ(news, 2);
  EXPECT_EQ(m.size(), 7u);  // 1, 2, 3+5, 6, 10, and the new 2 and 11
  // With no overlap threshold the one-voxel touch links 10 and 11.
  bool linked = false;
  for (const auto& c : match_lesions(base, later, 0.0))
    linked |= c.baseline_ids == std::vector<int32_t>{10} && c.followup_ids == std::vector<int32_t>{11};
  EXPECT_TRUE(linked);
}

LesionStats stats(int32_t id, double volume, double delta, bool prl) {
  LesionStats s;
  s.id = id;
  s.volume_mm3 = volume;
  s.delta_chi_ppb = delta;
  s.prl = prl;
  s.rim_coverage = prl ? 0.9 : 0.1;
  return s;
}

TEST(Longitudinal, ChangeRowsWeightGroupsAndFlagBeyondTheLimits) {
  LesionAnalysis b, f;
  b.lesions = {stats(1, 100, 20, true), stats(2, 50, 10, false), stats(3, 150, 30, true), stats(4, 80, 5, true)};
  f.lesions = {stats(1, 110, 31, true), stats(2, 200, 12, true), stats(5, 40, 8, false)};
  std::vector<LesionCorrespondence> m = {{LesionChange::persisting, {1}, {1}, 90},
                                         {LesionChange::merged, {2, 3}, {2}, 150},
                                         {LesionChange::resolved, {4}, {}, 0},
                                         {LesionChange::new_lesion, {}, {5}, 0}};
  const auto rows = lesion_changes(m, b, f, {-7.3, 7.0}, {-20, 20});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_DOUBLE_EQ(rows[0].delta_chi_change_ppb, 11);
  EXPECT_TRUE(rows[0].chi_change_flag);
  EXPECT_FALSE(rows[0].volume_change_flag);  // +10 %
  EXPECT_EQ(rows[0].rim_change, "persisting_rim");
  // Merged: 200 mm^3 with a volume-weighted delta chi (50*10 + 150*30) / 200 = 25.
  EXPECT_DOUBLE_EQ(rows[1].baseline_volume_mm3, 200);
  EXPECT_DOUBLE_EQ(rows[1].baseline_delta_chi_ppb, 25);
  EXPECT_DOUBLE_EQ(rows[1].delta_chi_change_ppb, -13);
  EXPECT_EQ(rows[1].rim_change, "persisting_rim");  // 3 had a rim; the merged lesion has one
  EXPECT_EQ(rows[2].rim_change, "lost_rim");
  EXPECT_TRUE(std::isnan(rows[2].delta_chi_change_ppb));
  EXPECT_FALSE(rows[2].chi_change_flag);
  EXPECT_DOUBLE_EQ(rows[2].volume_change_percent, -100);
  EXPECT_TRUE(rows[2].volume_change_flag);
  EXPECT_DOUBLE_EQ(rows[3].baseline_volume_mm3, 0);
  EXPECT_TRUE(std::isnan(rows[3].volume_change_percent));
  EXPECT_EQ(rows[3].rim_change, "none");
  // Unset limits flag nothing.
  for (const auto& r : lesion_changes(m, b, f, {}, {})) EXPECT_FALSE(r.chi_change_flag || r.volume_change_flag);
}

TEST(Longitudinal, RegionRowsMatchByName) {
  RoiStatsResult b, f;
  RegionStats s;
  s.name = "Left-Putamen", s.mean_chi_ppb = 60;
  b.regions.push_back(s);
  s.name = "Thalamus", s.mean_chi_ppb = 5;
  b.regions.push_back(s);
  s.name = "Left-Putamen", s.mean_chi_ppb = 70;
  f.regions.push_back(s);
  const auto rows = region_changes(b, f, {-7.3, 7.0});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0].change_ppb, 10);
  EXPECT_TRUE(rows[0].flag);
  EXPECT_TRUE(std::isnan(rows[1].change_ppb));
  EXPECT_FALSE(rows[1].flag);
}

TEST(Longitudinal, RefusesInconsistentSessions) {
  const Grid g = Grid::centred({8, 8, 8}, {1, 1, 1});
  std::vector<SessionInput> s(2);
  s[0].chi = Volume(g);
  s[1].chi = Volume(g);
  s[0].lesions = LabelImage(g);
  EXPECT_NE(test::error_of([&] { longitudinal_analysis(s, {}); }).find("every session or for none"), std::string::npos);
  s.resize(1);
  EXPECT_NE(test::error_of([&] { longitudinal_analysis(s, {}); }).find("at least two"), std::string::npos);
}

}  // namespace
}  // namespace qsmtk
