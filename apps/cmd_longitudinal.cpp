// qsmtk longitudinal: two or more sessions of one subject, registered rigidly to the first;
// lesion matching (new, persisting, resolved, merged, split), per-lesion and per-region change,
// rim changes, and flags where a change exceeds limits of agreement.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "command.h"
#include "inputs.h"
#include "lesion_options.h"
#include "qsmtk/analysis/longitudinal.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/log.h"
#include "qsmtk/strings.h"

namespace qsmtk::app {
namespace fs = std::filesystem;
namespace {

struct Args {
  std::vector<std::string> chi, lesions, masks, registration_images, labels, session_labels;
  std::string lut, reference = "none", out, metric = "mi";
  std::string loa_lesion = "-7.3,7.0", loa_region = "-7.3,7.0", loa_volume;
  double erode_mm = 0, min_overlap = 0.1;
  uint64_t seed = 1;
  LesionArgs lesion;
};

LimitsOfAgreement parse_limits(const std::string& text, const std::string& what) {
  if (text.empty() || text == "none") return {};
  const auto v = parse_numbers(text, what);
  if (v.size() != 2 || !(v[0] <= v[1])) throw std::invalid_argument(what + ": give LOWER,UPPER with LOWER <= UPPER");
  return {v[0], v[1]};
}

/// "ses-XX" from a BIDS file name, else "session<n>".
std::string session_label(const std::string& path, size_t n) {
  std::smatch m;
  const std::string name = fs::path(path).filename().string();
  if (std::regex_search(name, m, std::regex("(ses-[A-Za-z0-9]+)"))) return m[1];
  return "session" + std::to_string(n + 1);
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (!s.empty()) s += '+';
    s += std::to_string(id);
  }
  return s.empty() ? "n/a" : s;
}

std::string flag_text(bool chi, bool volume) {
  if (chi && volume) return "chi+volume";
  return chi ? "chi" : volume ? "volume" : "";
}

Json limits_json(const LimitsOfAgreement& l) {
  if (!l.set()) return nullptr;
  return Json::array({l.lower, l.upper});
}

Json matrix_json(const Mat4& m) {
  Json rows = Json::array();
  for (int r = 0; r < 4; ++r) rows.push_back({m.m[r][0], m.m[r][1], m.m[r][2], m.m[r][3]});
  return rows;
}

}  // namespace

Command longitudinal_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "longitudinal";
  c.summary = "Change between sessions of one subject: registration, lesion matching, lesion and region change";
  c.description =
      "Reads the chi maps (ppm) of two or more sessions of one subject in time order; the first is the baseline. "
      "Each later session is registered rigidly to the baseline with elastix (Debian package 'elastix', run as a "
      "program; Euler transform, multi-resolution, Mattes mutual information by default) on its chi map, or on "
      "--register-image (e.g. the first-echo magnitude, better for registration) within the dilated --mask. "
      "Measurements are made in each session's own space; the transforms carry lesions to the baseline for "
      "matching and the baseline --labels to each session for region statistics (or give one label image per "
      "session).\n\n"
      "Lesions (--lesions, one image per session, any kind `qsmtk lesions` reads) are matched through their "
      "overlap in baseline space (at least --min-overlap of the smaller lesion): persisting (1 -> 1), new, "
      "resolved, merged (n -> 1) and split (1 -> n). Per row: volumes and their change, delta chi against NAWM in "
      "each session and its change, PRL flags and the rim change (new_rim, persisting_rim, lost_rim, none), and a "
      "flag where the delta chi change lies outside --loa-lesion-ppb or the volume change outside "
      "--loa-volume-percent. Regions: mean chi per label in each session (after --reference) and its change, "
      "flagged outside --loa-region-ppb. The default limits, [-7.3, 7.0] ppb, are the scan-rescan limits of "
      "agreement of whole-CSF-referenced QSM quoted by the ISMRM consensus; use your own study's where you have "
      "them.\n\n"
      "Writes into OUT_DIR: longitudinal.json (inputs, options, per session the transform as a 4x4 world matrix "
      "from baseline to session with its Euler angles (R = Rz Ry Rx, degrees) and translation (mm), the counts "
      "of new/persisting/resolved/merged/split lesions and of new/persisting/lost rims, and the flags), "
      "transforms.tsv, lesion_changes.tsv, region_changes.tsv, <session>_lesions.tsv (the `qsmtk lesions` table "
      "per session), and per later session <session>_space-baseline_Chimap.nii.gz (trilinear), "
      "<session>_space-baseline_desc-lesions_dseg.nii.gz and <session>_desc-change_Chimap.nii.gz (later minus "
      "baseline, ppm, inside the baseline mask when given).";
  c.references = {
      "Klein S, Staring M, Murphy K, Viergever MA, Pluim JPW. elastix: a toolbox for intensity-based medical image "
      "registration. IEEE Trans Med Imaging 2010;29:196-205.",
      "Shamonin DP et al. Fast parallel image registration on CPU and GPU for diagnostic classification of "
      "Alzheimer's disease. Front Neuroinform 2014;7:50.",
      "Dal-Bianco A et al. Long-term evolution of multiple sclerosis iron rim lesions in 7 T MRI. Brain "
      "2021;144:833-847.",
      "QSM Consensus Organization Committee. Recommended implementation of quantitative susceptibility mapping for "
      "clinical research in the brain. Magn Reson Med 2024;91:1834-1862."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--chi", a->chi, "Chi maps (ppm), one per session, baseline first")
        ->required()
        ->expected(2, 64)
        ->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Output folder (created)")->required();
    app.add_option("--lesions", a->lesions, "Lesion images, one per session (labels, binary or probability)")
        ->expected(2, 64)
        ->check(CLI::ExistingFile);
    app.add_option("--mask", a->masks, "Brain masks, one per session")->expected(2, 64)->check(CLI::ExistingFile);
    app.add_option("--register-image", a->registration_images,
                   "Images to register instead of the chi maps (e.g. first-echo magnitude), one per session")
        ->expected(2, 64)
        ->check(CLI::ExistingFile);
    app.add_option("--labels", a->labels, "Region labels: one image on the baseline grid, or one per session")
        ->expected(1, 64)
        ->check(CLI::ExistingFile);
    app.add_option("--lut", a->lut, "Label names: BIDS TSV (index, name) or FreeSurferColorLUT.txt")
        ->check(CLI::ExistingFile);
    app.add_option("--reference", a->reference, "Region reference subtracted first: brain, csf, none or a label name")
        ->capture_default_str();
    app.add_option("--erode-mm", a->erode_mm, "Erode each region by a ball of this radius (mm) first")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--session-labels", a->session_labels,
                   "Session names, one per session (default: ses-<label> from the file names, else session<n>)")
        ->expected(2, 64);
    app.add_option("--metric", a->metric, "Registration metric: mi (mutual information), ms (mean squares), ncc")
        ->check(CLI::IsMember({"mi", "ms", "ncc"}))
        ->capture_default_str();
    app.add_option("--registration-seed", a->seed, "elastix's random seed (same seed, same transform)")
        ->capture_default_str();
    app.add_option("--min-overlap", a->min_overlap,
                   "Lesions correspond when they overlap by this fraction of the smaller one")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--loa-lesion-ppb", a->loa_lesion, "Limits of agreement for a lesion's delta chi change (ppb), "
                   "LOWER,UPPER or none")->capture_default_str();
    app.add_option("--loa-region-ppb", a->loa_region, "Limits of agreement for a region's chi change (ppb), "
                   "LOWER,UPPER or none")->capture_default_str();
    app.add_option("--loa-volume-percent", a->loa_volume,
                   "Limits of agreement for a lesion's volume change (%), LOWER,UPPER (default: none)");
    declare_lesion_options(app, a->lesion);
  };
  c.run = [a]() {
    {
      std::vector<std::string> inputs = a->chi;
      for (const auto* v : {&a->lesions, &a->masks, &a->registration_images, &a->labels})
        inputs.insert(inputs.end(), v->begin(), v->end());
      check_output_folder(a->out, inputs);
    }
    const size_t n = a->chi.size();
    auto check_count = [n](const std::vector<std::string>& v, const char* what) {
      if (!v.empty() && v.size() != n)
        throw std::invalid_argument(std::string(what) + ": give one per session (" + std::to_string(n) + "), got " +
                                    std::to_string(v.size()));
    };
    check_count(a->lesions, "--lesions");
    check_count(a->masks, "--mask");
    check_count(a->registration_images, "--register-image");
    check_count(a->session_labels, "--session-labels");
    if (a->labels.size() > 1) check_count(a->labels, "--labels");

    LongitudinalOptions o;
    o.registration.metric = registration_metric_from_string(a->metric);
    o.registration.seed = a->seed;
    o.registration.work_parent = a->out;
    o.lesion_analysis = a->lesion.analysis;
    o.min_overlap_fraction = a->min_overlap;
    o.lesion_chi_limits = parse_limits(a->loa_lesion, "--loa-lesion-ppb");
    o.region_chi_limits = parse_limits(a->loa_region, "--loa-region-ppb");
    o.lesion_volume_percent_limits = parse_limits(a->loa_volume, "--loa-volume-percent");
    o.region_options.erode_mm = a->erode_mm;
    set_roi_reference(o.region_options, a->reference);
    fs::create_directories(a->out);

    std::vector<SessionInput> sessions(n);
    std::set<std::string> labels_seen;
    for (size_t s = 0; s < n; ++s) {
      SessionInput& in = sessions[s];
      in.label = a->session_labels.empty() ? session_label(a->chi[s], s) : a->session_labels[s];
      if (!labels_seen.insert(in.label).second) in.label = "session" + std::to_string(s + 1);
      in.chi = read_nifti(a->chi[s]);
      if (in.chi.frames() != 1) throw std::runtime_error(a->chi[s] + ": expected a 3-D chi map");
      if (!a->lesions.empty()) in.lesions = read_lesion_labels(a->lesions[s], in.chi.grid(), a->lesion);
      if (!a->masks.empty()) {
        in.brain = read_nifti_mask(a->masks[s]);
        if (!in.brain.grid().same_space(in.chi.grid())) throw std::runtime_error(a->masks[s] + ": not on the chi grid");
      }
      if (!a->registration_images.empty()) {
        in.registration_image = read_nifti(a->registration_images[s]);
        if (in.registration_image.frames() > 1) in.registration_image = in.registration_image.extract_frame(0);
      }
      if (a->labels.size() == n) {
        in.region_labels = read_nifti_labels(a->labels[s]);
        if (!in.region_labels.grid().same_space(in.chi.grid()))
          in.region_labels = resample_nearest(in.region_labels, in.chi.grid());
      }
    }
    LabelImage baseline_regions;
    if (a->labels.size() == 1) {
      baseline_regions = read_nifti_labels(a->labels[0]);
      if (!baseline_regions.grid().same_space(sessions[0].chi.grid()))
        baseline_regions = resample_nearest(baseline_regions, sessions[0].chi.grid());
      o.region_labels = &baseline_regions;
    }
    std::string names_from;
    if (!a->labels.empty()) o.region_names = read_label_names(a->labels[0], a->lut, &names_from);

    const LongitudinalResult r = longitudinal_analysis(sessions, o);
    const fs::path out(a->out);
    const SessionInput& base = sessions[0];

    // Per session: the lesion table; per later session: images in baseline space.
    Table transforms;
    transforms.columns = {"session", "rx_deg", "ry_deg", "rz_deg", "tx_mm", "ty_mm", "tz_mm", "rotation_deg",
                          "registration_s"};
    Json sessions_json = Json::array();
    for (size_t s = 0; s < n; ++s) {
      const SessionResult& sr = r.sessions[s];
      if (sr.lesions) write_tsv((out / (sr.label + "_lesions.tsv")).string(), lesion_table(*sr.lesions));
      const Vec3 angles = euler_angles_deg(sr.baseline_to_session.linear());
      const Vec3 t = sr.baseline_to_session.translation();
      const double angle = rotation_angle_deg(sr.baseline_to_session.linear());
      transforms.rows.push_back({sr.label, tsv_number(angles[0], 4), tsv_number(angles[1], 4), tsv_number(angles[2], 4),
                                 tsv_number(t[0], 4), tsv_number(t[1], 4), tsv_number(t[2], 4), tsv_number(angle, 4),
                                 tsv_number(sr.registration_seconds, 3)});
      Json sj = {{"Label", sr.label}, {"Chi", a->chi[s]}, {"BaselineToSessionWorld", matrix_json(sr.baseline_to_session)},
                 {"RotationDeg", {angles[0], angles[1], angles[2]}}, {"TranslationMm", {t[0], t[1], t[2]}},
                 {"RotationAngleDeg", angle}};
      if (sr.lesions) sj["LesionCount"] = sr.lesions->lesions.size(), sj["PrlCount"] = sr.lesions->prl_count;
      sessions_json.push_back(sj);
      if (s == 0) continue;
      write_nifti((out / (sr.label + "_space-baseline_Chimap.nii.gz")).string(), sr.chi_on_baseline,
                  "chi (ppm) in baseline space");
      Volume change(base.chi.grid());
      for (int64_t v = 0; v < change.voxels(); ++v)
        change[v] = base.brain.empty() || base.brain[v] ? sr.chi_on_baseline[v] - base.chi[v] : 0.0f;
      write_nifti((out / (sr.label + "_desc-change_Chimap.nii.gz")).string(), change, "chi change (ppm) vs baseline");
      if (!sr.lesions_on_baseline.empty())
        write_nifti((out / (sr.label + "_space-baseline_desc-lesions_dseg.nii.gz")).string(), sr.lesions_on_baseline,
                    "lesion labels in baseline space");
    }
    write_tsv((out / "transforms.tsv").string(), transforms);

    Table lesion_rows, region_rows;
    lesion_rows.columns = {"session", "change", "baseline_ids", "followup_ids", "baseline_volume_mm3",
                           "followup_volume_mm3", "volume_change_mm3", "volume_change_percent",
                           "baseline_delta_chi_ppb", "followup_delta_chi_ppb", "delta_chi_change_ppb",
                           "baseline_rim_coverage", "followup_rim_coverage", "baseline_prl", "followup_prl",
                           "rim_change", "flag"};
    region_rows.columns = {"session", "region", "baseline_chi_ppb", "followup_chi_ppb", "change_ppb", "flag"};
    Json followups = Json::array();
    for (const FollowupChanges& f : r.followups) {
      for (const LesionChangeRow& l : f.lesions)
        lesion_rows.rows.push_back({f.label, to_string(l.match.change), ids_text(l.match.baseline_ids),
                                    ids_text(l.match.followup_ids), tsv_number(l.baseline_volume_mm3),
                                    tsv_number(l.followup_volume_mm3), tsv_number(l.volume_change_mm3),
                                    tsv_number(l.volume_change_percent), tsv_number(l.baseline_delta_chi_ppb),
                                    tsv_number(l.followup_delta_chi_ppb), tsv_number(l.delta_chi_change_ppb),
                                    tsv_number(l.baseline_rim_coverage, 3), tsv_number(l.followup_rim_coverage, 3),
                                    l.baseline_prl ? "1" : "0", l.followup_prl ? "1" : "0", l.rim_change,
                                    flag_text(l.chi_change_flag, l.volume_change_flag)});
      for (const RegionChangeRow& g : f.regions)
        region_rows.rows.push_back({f.label, g.name, tsv_number(g.baseline_chi_ppb), tsv_number(g.followup_chi_ppb),
                                    tsv_number(g.change_ppb), g.flag ? "chi" : ""});
      followups.push_back({{"Session", f.label},
                           {"NewLesions", f.new_lesions},
                           {"PersistingLesions", f.persisting_lesions},
                           {"ResolvedLesions", f.resolved_lesions},
                           {"MergedLesions", f.merged_lesions},
                           {"SplitLesions", f.split_lesions},
                           {"NewRims", f.new_rims},
                           {"PersistingRims", f.persisting_rims},
                           {"LostRims", f.lost_rims},
                           {"FlaggedLesions", f.flagged_lesions},
                           {"FlaggedRegions", f.flagged_regions}});
    }
    if (!a->lesions.empty()) write_tsv((out / "lesion_changes.tsv").string(), lesion_rows);
    if (!a->labels.empty()) write_tsv((out / "region_changes.tsv").string(), region_rows);

    Json j;
    j["GeneratedBy"] = qsmtk_generated_by("qsmtk longitudinal");
    j["Inputs"] = {{"Chi", a->chi}, {"Lesions", a->lesions}, {"Masks", a->masks},
                   {"RegistrationImages", a->registration_images}, {"Labels", a->labels}};
    if (!names_from.empty()) j["Inputs"]["LabelNames"] = names_from;
    j["Registration"] = {{"Engine", r.registration_engine},
                         {"Transform", "rigid (Euler), baseline world (RAS mm) -> session world"},
                         {"Metric", a->metric},
                         {"Seed", a->seed},
                         {"Image", a->registration_images.empty() ? "chi" : "--register-image"}};
    j["Options"] = {{"Lesions", lesion_options_json(a->lesion)},
                    {"MinOverlap", a->min_overlap},
                    {"RegionReference", a->reference},
                    {"RegionErodeMm", a->erode_mm},
                    {"LimitsOfAgreement",
                     {{"LesionDeltaChiPpb", limits_json(o.lesion_chi_limits)},
                      {"RegionChiPpb", limits_json(o.region_chi_limits)},
                      {"LesionVolumePercent", limits_json(o.lesion_volume_percent_limits)}}}};
    j["Units"] = {{"chi", "ppb in tables, ppm in images"}, {"volume", "mm^3"}, {"angles", "degrees"},
                  {"translation", "mm"}};
    j["Sessions"] = sessions_json;
    j["Changes"] = followups;
    write_json((out / "longitudinal.json").string(), j);

    for (const FollowupChanges& f : r.followups) {
      std::printf("%s vs %s:", f.label.c_str(), base.label.c_str());
      if (!a->lesions.empty())
        std::printf(" %d new, %d persisting, %d resolved, %d merged, %d split lesion(s); rims %d new, %d lost;",
                    f.new_lesions, f.persisting_lesions, f.resolved_lesions, f.merged_lesions, f.split_lesions,
                    f.new_rims, f.lost_rims);
      std::printf(" %d lesion and %d region change(s) beyond the limits\n", f.flagged_lesions, f.flagged_regions);
    }
    std::printf("-> %s\n", a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
