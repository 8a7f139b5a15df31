// Longitudinal lesion and region change (see analysis/longitudinal.h).
#include "qsmtk/analysis/longitudinal.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>

#include "qsmtk/log.h"
#include "qsmtk/mask/morphology.h"
#include "qsmtk/resample.h"

namespace qsmtk {

const char* to_string(LesionChange c) {
  switch (c) {
    case LesionChange::persisting: return "persisting";
    case LesionChange::new_lesion: return "new";
    case LesionChange::resolved: return "resolved";
    case LesionChange::merged: return "merged";
    case LesionChange::split: return "split";
  }
  return "?";
}

std::vector<LesionCorrespondence> match_lesions(const LabelImage& baseline, const LabelImage& followup,
                                                double min_overlap_fraction) {
  if (!baseline.grid().same_space(followup.grid()))
    throw std::invalid_argument("match_lesions: the follow-up labels are not on the baseline grid");
  std::map<int32_t, int64_t> size_b, size_f;
  std::map<std::pair<int32_t, int32_t>, int64_t> overlap;
  for (int64_t v = 0; v < baseline.voxels(); ++v) {
    const int32_t b = baseline[v], f = followup[v];
    if (b) ++size_b[b];
    if (f) ++size_f[f];
    if (b && f) ++overlap[{b, f}];
  }
  // Union-find over the nodes: baseline ids as (id, 0), follow-up ids as (id, 1).
  std::map<std::pair<int32_t, int>, std::pair<int32_t, int>> parent;
  for (const auto& [id, n] : size_b) parent[{id, 0}] = {id, 0};
  for (const auto& [id, n] : size_f) parent[{id, 1}] = {id, 1};
  auto find = [&](std::pair<int32_t, int> x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::map<std::pair<int32_t, int>, int64_t> group_overlap;
  std::vector<std::pair<std::pair<int32_t, int32_t>, int64_t>> edges;
  for (const auto& [ids, n] : overlap)
    if (double(n) >= min_overlap_fraction * double(std::min(size_b[ids.first], size_f[ids.second])))
      edges.push_back({ids, n});
  for (const auto& [ids, n] : edges) parent[find({ids.first, 0})] = find({ids.second, 1});

  std::map<std::pair<int32_t, int>, LesionCorrespondence> groups;
  for (const auto& [node, p] : parent) {
    LesionCorrespondence& g = groups[find(node)];
    (node.second == 0 ? g.baseline_ids : g.followup_ids).push_back(node.first);
  }
  for (const auto& [ids, n] : edges) groups[find({ids.first, 0})].overlap_voxels += n;

  std::vector<LesionCorrespondence> out;
  for (auto& [root, g] : groups) {
    const size_t nb = g.baseline_ids.size(), nf = g.followup_ids.size();
    g.change = nb == 0   ? LesionChange::new_lesion
               : nf == 0 ? LesionChange::resolved
               : nb > 1  ? LesionChange::merged
               : nf > 1  ? LesionChange::split
                         : LesionChange::persisting;
    out.push_back(std::move(g));
  }
  // Baseline lesions in id order, then the new ones.
  std::sort(out.begin(), out.end(), [](const LesionCorrespondence& a, const LesionCorrespondence& b) {
    const bool na = a.baseline_ids.empty(), nb = b.baseline_ids.empty();
    if (na != nb) return nb;
    return na ? a.followup_ids.front() < b.followup_ids.front() : a.baseline_ids.front() < b.baseline_ids.front();
  });
  return out;
}

namespace {

struct GroupValues {
  double volume_mm3 = 0, delta_chi_ppb = NAN, rim_coverage = NAN;
  bool prl = false;
};

/// Summed volume, volume-weighted delta chi, largest rim coverage and any-PRL of a lesion group.
GroupValues group_values(const std::vector<int32_t>& ids, const std::map<int32_t, const LesionStats*>& stats) {
  GroupValues g;
  double weighted = 0, weight = 0;
  for (int32_t id : ids) {
    const auto it = stats.find(id);
    if (it == stats.end()) throw std::invalid_argument("lesion_changes: lesion " + std::to_string(id) + " has no statistics");
    const LesionStats& l = *it->second;
    g.volume_mm3 += l.volume_mm3;
    if (std::isfinite(l.delta_chi_ppb)) weighted += l.volume_mm3 * l.delta_chi_ppb, weight += l.volume_mm3;
    if (std::isfinite(l.rim_coverage)) g.rim_coverage = std::isfinite(g.rim_coverage) ? std::max(g.rim_coverage, l.rim_coverage) : l.rim_coverage;
    g.prl = g.prl || l.prl;
  }
  if (weight > 0) g.delta_chi_ppb = weighted / weight;
  return g;
}

std::map<int32_t, const LesionStats*> by_id(const LesionAnalysis& a) {
  std::map<int32_t, const LesionStats*> m;
  for (const LesionStats& l : a.lesions) m[l.id] = &l;
  return m;
}

}  // namespace

std::vector<LesionChangeRow> lesion_changes(const std::vector<LesionCorrespondence>& matches,
                                            const LesionAnalysis& baseline, const LesionAnalysis& followup,
                                            const LimitsOfAgreement& chi_limits,
                                            const LimitsOfAgreement& volume_percent_limits) {
  const auto stats_b = by_id(baseline), stats_f = by_id(followup);
  std::vector<LesionChangeRow> rows;
  for (const LesionCorrespondence& m : matches) {
    LesionChangeRow r;
    r.match = m;
    const GroupValues b = group_values(m.baseline_ids, stats_b), f = group_values(m.followup_ids, stats_f);
    r.baseline_volume_mm3 = b.volume_mm3;
    r.followup_volume_mm3 = f.volume_mm3;
    r.volume_change_mm3 = f.volume_mm3 - b.volume_mm3;
    if (b.volume_mm3 > 0) r.volume_change_percent = 100 * r.volume_change_mm3 / b.volume_mm3;
    if (!m.baseline_ids.empty()) r.baseline_delta_chi_ppb = b.delta_chi_ppb, r.baseline_rim_coverage = b.rim_coverage;
    if (!m.followup_ids.empty()) r.followup_delta_chi_ppb = f.delta_chi_ppb, r.followup_rim_coverage = f.rim_coverage;
    r.delta_chi_change_ppb = r.followup_delta_chi_ppb - r.baseline_delta_chi_ppb;  // NaN for new / resolved
    r.baseline_prl = b.prl;
    r.followup_prl = f.prl;
    r.rim_change = b.prl && f.prl ? "persisting_rim" : f.prl ? "new_rim" : b.prl ? "lost_rim" : "none";
    r.chi_change_flag = chi_limits.exceeded_by(r.delta_chi_change_ppb);
    r.volume_change_flag = volume_percent_limits.exceeded_by(r.volume_change_percent);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<RegionChangeRow> region_changes(const RoiStatsResult& baseline, const RoiStatsResult& followup,
                                            const LimitsOfAgreement& limits) {
  std::map<std::string, const RegionStats*> later;
  for (const RegionStats& s : followup.regions) later[s.name] = &s;
  std::vector<RegionChangeRow> rows;
  for (const RegionStats& s : baseline.regions) {
    RegionChangeRow r;
    r.name = s.name;
    r.baseline_chi_ppb = s.mean_chi_ppb;
    if (const auto it = later.find(s.name); it != later.end()) r.followup_chi_ppb = it->second->mean_chi_ppb;
    r.change_ppb = r.followup_chi_ppb - r.baseline_chi_ppb;
    r.flag = limits.exceeded_by(r.change_ppb);
    rows.push_back(std::move(r));
  }
  return rows;
}

namespace {

void check_sessions(const std::vector<SessionInput>& sessions, const LongitudinalOptions& o) {
  if (sessions.size() < 2) throw std::invalid_argument("longitudinal analysis needs at least two sessions");
  const bool lesions = !sessions[0].lesions.empty();
  for (const SessionInput& s : sessions) {
    const std::string who = "session " + s.label + ": ";
    if (s.chi.empty() || s.chi.frames() != 1) throw std::invalid_argument(who + "needs a 3-D chi map");
    if (s.lesions.empty() == lesions)
      throw std::invalid_argument(who + "lesion labels must be given for every session or for none");
    if (lesions && !s.lesions.grid().same_space(s.chi.grid()))
      throw std::invalid_argument(who + "the lesion labels are not on the chi grid");
    if (!s.brain.empty() && !s.brain.grid().same_space(s.chi.grid()))
      throw std::invalid_argument(who + "the brain mask is not on the chi grid");
    if (!s.region_labels.empty() && !s.region_labels.grid().same_space(s.chi.grid()))
      throw std::invalid_argument(who + "the region labels are not on the chi grid");
    if (!s.registration_image.empty() && s.registration_image.frames() != 1)
      throw std::invalid_argument(who + "the registration image must be 3-D");
  }
  if (o.region_labels && !o.region_labels->grid().same_space(sessions[0].chi.grid()))
    throw std::invalid_argument("the region labels are not on the baseline chi grid");
}

/// Registration image and its mask (the brain mask, dilated 4 mm so the brain's edge counts).
std::pair<const Volume*, Mask> registration_input(const SessionInput& s) {
  const Volume* image = s.registration_image.empty() ? &s.chi : &s.registration_image;
  Mask mask;
  if (!s.brain.empty()) {
    mask = dilate(s.brain, 4.0);
    if (!image->grid().same_space(mask.grid())) mask = resample_nearest(mask, image->grid());
  }
  return {image, std::move(mask)};
}

}  // namespace

LongitudinalResult longitudinal_analysis(const std::vector<SessionInput>& sessions, const LongitudinalOptions& o) {
  check_sessions(sessions, o);
  const SessionInput& base = sessions[0];
  const bool with_lesions = !base.lesions.empty();
  const bool with_regions = o.region_labels || !base.region_labels.empty();
  const auto [fixed_image, fixed_mask] = registration_input(base);
  LongitudinalResult result;
  for (size_t n = 0; n < sessions.size(); ++n) {
    const SessionInput& s = sessions[n];
    SessionResult r;
    r.label = s.label;
    const Mask* brain = s.brain.empty() ? nullptr : &s.brain;
    if (n > 0) {
      log::Progress step("Rigid registration of " + s.label + " to " + base.label, 1);
      const auto [moving_image, moving_mask] = registration_input(s);
      const RigidRegistrationResult reg =
          register_rigid(*fixed_image, *moving_image, fixed_mask.empty() ? nullptr : &fixed_mask,
                         moving_mask.empty() ? nullptr : &moving_mask, o.registration);
      step.finish();
      r.baseline_to_session = reg.transform;
      r.registration_seconds = reg.seconds;
      result.registration_engine = reg.engine;
      r.chi_on_baseline = resample_linear(s.chi, base.chi.grid(), &r.baseline_to_session);
      if (with_lesions) r.lesions_on_baseline = resample_nearest(s.lesions, base.chi.grid(), &r.baseline_to_session);
    }
    if (with_lesions) r.lesions = analyse_lesions(s.chi, s.lesions, o.lesion_analysis, brain);
    if (with_regions) {
      LabelImage carried;
      const LabelImage* labels = &s.region_labels;
      if (s.region_labels.empty()) {
        if (n == 0) {
          labels = o.region_labels;
        } else {
          const Mat4 session_to_baseline = r.baseline_to_session.inverse();
          carried = resample_nearest(*o.region_labels, s.chi.grid(), &session_to_baseline);
          labels = &carried;
        }
      }
      if (!labels || labels->empty())
        throw std::invalid_argument("session " + s.label + ": no region labels (give them for the baseline)");
      r.regions = roi_stats(s.chi, *labels, o.region_names, o.region_options, brain);
    }
    result.sessions.push_back(std::move(r));
  }

  const SessionResult& b = result.sessions[0];
  for (size_t n = 1; n < result.sessions.size(); ++n) {
    const SessionResult& s = result.sessions[n];
    FollowupChanges c;
    c.label = s.label;
    if (with_lesions) {
      auto matches = match_lesions(base.lesions, s.lesions_on_baseline, o.min_overlap_fraction);
      // Follow-up lesions that fell outside the baseline grid are new as far as we can tell.
      std::set<int32_t> seen;
      for (const auto& m : matches) seen.insert(m.followup_ids.begin(), m.followup_ids.end());
      for (const LesionStats& l : s.lesions->lesions)
        if (!seen.count(l.id)) matches.push_back({LesionChange::new_lesion, {}, {l.id}, 0});
      c.lesions = lesion_changes(matches, *b.lesions, *s.lesions, o.lesion_chi_limits, o.lesion_volume_percent_limits);
      for (const LesionChangeRow& r : c.lesions) {
        switch (r.match.change) {
          case LesionChange::new_lesion: ++c.new_lesions; break;
          case LesionChange::persisting: ++c.persisting_lesions; break;
          case LesionChange::resolved: ++c.resolved_lesions; break;
          case LesionChange::merged: ++c.merged_lesions; break;
          case LesionChange::split: ++c.split_lesions; break;
        }
        c.new_rims += r.rim_change == "new_rim";
        c.persisting_rims += r.rim_change == "persisting_rim";
        c.lost_rims += r.rim_change == "lost_rim";
        c.flagged_lesions += r.chi_change_flag || r.volume_change_flag;
      }
    }
    if (with_regions) {
      c.regions = region_changes(*b.regions, *s.regions, o.region_chi_limits);
      for (const RegionChangeRow& r : c.regions) c.flagged_regions += r.flag;
    }
    result.followups.push_back(std::move(c));
  }
  return result;
}

}  // namespace qsmtk
