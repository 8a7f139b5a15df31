#pragma once
// Longitudinal change in one subject: the later sessions are registered rigidly to the first
// (the baseline, elastix through registration/rigid.h), lesions are matched through their
// overlap in baseline space, and per-lesion and per-region changes are compared with limits of
// agreement. Measurements are made in each session's own space (no interpolation of chi for
// the numbers); only the overlap test and the images for viewing are resampled. In-memory only.
//
// Usage:
//   std::vector<SessionInput> s(2);  s[0].chi = ...; s[0].lesions = ...; s[0].brain = ...;
//   LongitudinalOptions o;  o.region_labels = &aseg;  o.region_names = names;
//   LongitudinalResult r = longitudinal_analysis(s, o);
//   r.followups[0].lesions  -> persisting / new / resolved / merged / split rows with changes
//
// Lesion correspondence (in the spirit of the new/enlarging lesion rules of MS trials): a
// baseline and a follow-up lesion correspond when their overlap in baseline space is at least
// min_overlap_fraction of the smaller one. Connected groups of corresponding lesions give one
// row each: 1 -> 0 resolved, 0 -> 1 new, 1 -> 1 persisting, n -> 1 merged (also n -> m),
// 1 -> m split. A group's volume is the sum of its lesions; its chi values are
// volume-weighted means. Rims: new_rim, persisting_rim, lost_rim or none, from the PRL flags.
//
// Limits of agreement (e.g. from a scan-rescan study; the defaults are the whole-CSF-referenced
// scan-rescan limits [-7.3, 7.0] ppb quoted in the ISMRM QSM consensus, MRM 2024) flag a change
// outside [lower, upper]; unset limits flag nothing.
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qsmtk/analysis/lesions.h"
#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/registration/rigid.h"
#include "qsmtk/volume.h"

namespace qsmtk {

struct LimitsOfAgreement {
  double lower = -INFINITY, upper = INFINITY;
  bool exceeded_by(double change) const { return std::isfinite(change) && (change < lower || change > upper); }
  bool set() const { return std::isfinite(lower) || std::isfinite(upper); }
};

enum class LesionChange { persisting, new_lesion, resolved, merged, split };
const char* to_string(LesionChange c);

/// Lesion groups that correspond between a baseline label image and a follow-up label image
/// already resampled onto the baseline grid.
struct LesionCorrespondence {
  LesionChange change = LesionChange::persisting;
  std::vector<int32_t> baseline_ids, followup_ids;  // increasing
  int64_t overlap_voxels = 0;                       // baseline grid
};
std::vector<LesionCorrespondence> match_lesions(const LabelImage& baseline, const LabelImage& followup_on_baseline,
                                                double min_overlap_fraction = 0.1);

struct LesionChangeRow {
  LesionCorrespondence match;
  double baseline_volume_mm3 = NAN, followup_volume_mm3 = NAN, volume_change_mm3 = NAN, volume_change_percent = NAN;
  double baseline_delta_chi_ppb = NAN, followup_delta_chi_ppb = NAN, delta_chi_change_ppb = NAN;
  double baseline_rim_coverage = NAN, followup_rim_coverage = NAN;
  bool baseline_prl = false, followup_prl = false;
  std::string rim_change = "none";  // new_rim | persisting_rim | lost_rim | none
  bool chi_change_flag = false, volume_change_flag = false;
};

struct RegionChangeRow {
  std::string name;
  double baseline_chi_ppb = NAN, followup_chi_ppb = NAN, change_ppb = NAN;
  bool flag = false;
};

struct SessionInput {
  std::string label;               // e.g. "ses-01"
  Volume chi;                      // ppm
  LabelImage lesions;              // optional: lesion labels on chi's grid
  Mask brain;                      // optional: brain mask on chi's grid
  Volume registration_image;       // optional: image to register (e.g. first-echo magnitude); default chi
  LabelImage region_labels;        // optional: this session's own region labels on chi's grid
};

struct LongitudinalOptions {
  RigidRegistrationOptions registration;
  LesionAnalysisOptions lesion_analysis;
  double min_overlap_fraction = 0.1;
  // Regions: labels on the baseline grid, carried to each session through its transform, unless
  // the session brings its own region_labels.
  const LabelImage* region_labels = nullptr;
  std::map<int32_t, std::string> region_names;
  RoiStatsOptions region_options;
  LimitsOfAgreement lesion_chi_limits{-7.3, 7.0}, region_chi_limits{-7.3, 7.0}, lesion_volume_percent_limits;
};

struct SessionResult {
  std::string label;
  Mat4 baseline_to_session = Mat4::identity();  // baseline world -> this session's world
  double registration_seconds = 0;
  std::optional<LesionAnalysis> lesions;
  std::optional<RoiStatsResult> regions;
  Volume chi_on_baseline;                       // trilinear, for viewing and difference maps
  LabelImage lesions_on_baseline;               // nearest neighbour
};

struct FollowupChanges {
  std::string label;
  std::vector<LesionChangeRow> lesions;
  std::vector<RegionChangeRow> regions;
  int new_lesions = 0, persisting_lesions = 0, resolved_lesions = 0, merged_lesions = 0, split_lesions = 0;
  int new_rims = 0, persisting_rims = 0, lost_rims = 0;
  int flagged_lesions = 0, flagged_regions = 0;
};

struct LongitudinalResult {
  std::vector<SessionResult> sessions;    // [0] is the baseline
  std::vector<FollowupChanges> followups; // one per later session, against the baseline
  std::string registration_engine;
};

/// Per-lesion rows for one correspondence list from the two sessions' lesion analyses.
std::vector<LesionChangeRow> lesion_changes(const std::vector<LesionCorrespondence>& matches,
                                            const LesionAnalysis& baseline, const LesionAnalysis& followup,
                                            const LimitsOfAgreement& chi_limits,
                                            const LimitsOfAgreement& volume_percent_limits);
/// Region rows matched by name.
std::vector<RegionChangeRow> region_changes(const RoiStatsResult& baseline, const RoiStatsResult& followup,
                                            const LimitsOfAgreement& limits);

/// The whole analysis. Needs at least two sessions; lesions in all or none; throws
/// std::invalid_argument on inconsistent inputs and std::runtime_error when registration fails.
LongitudinalResult longitudinal_analysis(const std::vector<SessionInput>& sessions, const LongitudinalOptions& options);

}  // namespace qsmtk
