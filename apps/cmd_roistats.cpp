// qsmtk roistats: chi statistics per label of a label map (TSV + JSON), with erosion, bilateral
// rows, a reference region, iron estimates and age-normative z-scores.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "inputs.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/analysis/roi_stats.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/log.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string chi, labels, lut, mask, csf_mask, reference = "none", norms, out, json;
  double erode_mm = 0, age = -1;
  bool iron = false, no_bilateral = false;
  IronCalibration calibration;
};

Table region_table(const RoiStatsResult& r, bool iron, bool z) {
  Table t;
  t.columns = {"label",         "name",           "hemisphere",  "labels",      "voxels",
               "volume_mm3",    "mean_chi_ppb",   "median_chi_ppb", "sd_chi_ppb", "p10_chi_ppb",
               "p90_chi_ppb",   "reference",      "reference_chi_ppb"};
  if (iron) t.columns.push_back("iron_estimate_ug_per_g");
  if (z) t.columns.insert(t.columns.end(), {"expected_chi_ppb", "z_score"});
  for (const RegionStats& s : r.regions) {
    std::string labels;
    for (int32_t id : s.labels) labels += (labels.empty() ? "" : ",") + std::to_string(id);
    std::vector<std::string> row = {s.label ? std::to_string(s.label) : "n/a",
                                    s.name,
                                    s.hemisphere.empty() ? "n/a" : s.hemisphere,
                                    labels,
                                    std::to_string(s.voxels),
                                    tsv_number(s.volume_mm3),
                                    tsv_number(s.mean_chi_ppb),
                                    tsv_number(s.median_chi_ppb),
                                    tsv_number(s.sd_chi_ppb),
                                    tsv_number(s.p10_chi_ppb),
                                    tsv_number(s.p90_chi_ppb),
                                    to_string(r.reference),
                                    tsv_number(r.reference_chi_ppb)};
    if (iron) row.push_back(tsv_number(s.iron_ug_per_g));
    if (z) row.insert(row.end(), {tsv_number(s.expected_chi_ppb), tsv_number(s.z, 4)});
    t.rows.push_back(std::move(row));
  }
  return t;
}

Json summary_json(const Args& a, const std::string& names_from, const RoiStatsOptions& o, const RoiStatsResult& r) {
  Json j;
  j["GeneratedBy"] = qsmtk_generated_by("qsmtk roistats");
  j["Inputs"] = {{"Chi", a.chi}, {"Labels", a.labels}, {"LabelNames", names_from}};
  if (!a.mask.empty()) j["Inputs"]["BrainMask"] = a.mask;
  if (!a.csf_mask.empty()) j["Inputs"]["CsfMask"] = a.csf_mask;
  if (!a.norms.empty()) j["Inputs"]["Norms"] = a.norms;
  j["Options"] = {{"ErodeMm", o.erode_mm}, {"BilateralRows", o.bilateral}};
  j["Reference"] = {{"Kind", to_string(r.reference)},
                    {"Description", r.reference_description},
                    {"Voxels", r.reference_voxels},
                    {"ChiPpb", r.reference_chi_ppb},
                    {"Note", "subtracted from every statistic except the SD"}};
  j["Units"] = {{"chi", "ppb"}, {"volume", "mm^3"}, {"iron", "ug/g wet tissue (estimate)"}};
  if (o.iron)
    j["IronCalibration"] = {{"Estimate", true},
                            {"Model", "chi_ppb = slope * iron_ug_per_g + intercept"},
                            {"SlopePpbPerUgG", o.iron->slope_ppb_per_ug_g},
                            {"InterceptPpb", o.iron->intercept_ppb},
                            {"Source", o.iron->source},
                            {"Note", "an estimate from a post mortem grey matter calibration; not valid in white "
                                     "matter, lesions or calcifications, and dependent on the reference region"}};
  if (o.age_years) j["Norms"] = {{"AgeYears", *o.age_years}, {"Curves", o.norms.size()}, {"Z", "(mean - expected) / sd"}};
  Json regions = Json::array();
  for (const RegionStats& s : r.regions) {
    Json x = {{"Name", s.name}, {"Labels", s.labels}, {"Voxels", s.voxels},
              {"VoxelsBeforeErosion", s.voxels_before_erosion}, {"MeanChiPpb", s.mean_chi_ppb}};
    if (o.iron) x["IronEstimateUgPerG"] = s.iron_ug_per_g;
    if (std::isfinite(s.z)) x["Z"] = s.z;
    regions.push_back(x);
  }
  j["Regions"] = regions;
  return j;
}
}  // namespace

Command roistats_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "roistats";
  c.summary = "Chi statistics per region of a label map, with reference, iron estimates and z-scores (TSV + JSON)";
  c.description =
      "Reads a chi map (ppm) and a label image (FreeSurfer/SynthSeg aseg, a BIDS dseg, any integer labels); "
      "labels on another grid are resampled to chi's (nearest neighbour). Names come from --lut (a BIDS TSV with "
      "columns index and name, or FreeSurfer's LUT text 'index name R G B A'), else from the BIDS dseg.tsv next to "
      "the labels, else label_<n>. Writes TABLE.tsv with one row per label: label, name, hemisphere, labels, voxels, "
      "volume_mm3 (after erosion), mean/median/SD/P10/P90 chi (ppb), reference and reference_chi_ppb; for each "
      "FreeSurfer pair Left-X/Right-X also a bilateral row X pooling both sides' voxels (label n/a). --erode-mm "
      "erodes each label by a ball first (partial volume). --reference subtracts the mean chi of a region from every "
      "statistic but the SD: brain (the --mask), csf (the --csf-mask, else the labels named *CSF* or *Ventricle*), "
      "a label name (or a bilateral name, both sides), or none; it is recorded in the table and the JSON. --iron "
      "adds iron_estimate_ug_per_g = (mean - intercept) / slope, an ESTIMATE from a post mortem deep grey matter "
      "calibration (default Langkammer et al. 2012, slope 0.97 ppb per ug/g, intercept -11 ppb; set with "
      "--iron-slope/--iron-intercept); its source is written to the JSON. --norms with --age adds expected_chi_ppb "
      "and z_score = (mean - expected) / sd from a TSV with columns region, model (linear: a + b*age; exponential: "
      "a*(1 - exp(-b*age)) + c), a, b, c, sd (ppb), matched by region name. With --mask, voxels outside the brain "
      "are left out of every region. The JSON summary (--json, default TABLE.json) holds the inputs, options, "
      "reference and calibration.";
  c.references = {
      "Langkammer C et al. Quantitative susceptibility mapping (QSM) as a means to measure brain iron? A post mortem "
      "validation study. NeuroImage 2012;62:1593-1599.",
      "Hallgren B, Sourander P. The effect of age on the non-haemin iron in the human brain. J Neurochem "
      "1958;3:41-51.",
      "QSM Consensus Organization Committee. Recommended implementation of quantitative susceptibility mapping for "
      "clinical research in the brain: a consensus of the ISMRM electro-magnetic tissue properties study group. "
      "Magn Reson Med 2024;91:1834-1862."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--chi", a->chi, "Susceptibility map (ppm)")->required()->check(CLI::ExistingFile);
    app.add_option("--labels", a->labels, "Label image (integer labels, 0 = background)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Output table (.tsv)")->required();
    app.add_option("--json", a->json, "JSON summary (default: the table's name with .json)");
    app.add_option("--lut", a->lut, "Label names: BIDS TSV (index, name) or FreeSurferColorLUT.txt")
        ->check(CLI::ExistingFile);
    app.add_option("--mask", a->mask, "Brain mask: regions are restricted to it; the 'brain' reference")
        ->check(CLI::ExistingFile);
    app.add_option("--erode-mm", a->erode_mm, "Erode each label by a ball of this radius (mm) first")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--reference", a->reference, "Reference region subtracted first: brain, csf, none or a label name")
        ->capture_default_str();
    app.add_option("--csf-mask", a->csf_mask, "CSF mask for --reference csf (default: labels named CSF/Ventricle)")
        ->check(CLI::ExistingFile);
    app.add_flag("--no-bilateral", a->no_bilateral, "Leave out the pooled Left-/Right- rows");
    app.add_flag("--iron", a->iron, "Add iron concentration estimates (ug/g wet tissue)");
    app.add_option("--iron-slope", a->calibration.slope_ppb_per_ug_g, "Calibration slope (ppb per ug/g)")
        ->capture_default_str();
    app.add_option("--iron-intercept", a->calibration.intercept_ppb, "Calibration intercept (ppb)")
        ->capture_default_str();
    auto* norms = app.add_option("--norms", a->norms, "Normative curves (TSV: region model a b c sd)")
                      ->check(CLI::ExistingFile);
    auto* age = app.add_option("--age", a->age, "Age in years, for the z-scores")->check(CLI::Range(0.0, 150.0));
    norms->needs(age);
    age->needs(norms);
  };
  c.run = [a]() {
    check_output_file(a->out, {a->chi, a->labels, a->lut, a->mask, a->csf_mask});
    if (!a->json.empty()) check_output_file(a->json, {a->chi, a->labels, a->lut, a->mask, a->csf_mask});
    if (a->calibration.slope_ppb_per_ug_g == 0) throw std::invalid_argument("--iron-slope must not be 0");
    const Volume chi = read_nifti(a->chi);
    if (chi.frames() != 1) throw std::runtime_error(a->chi + ": expected a 3-D chi map");
    LabelImage labels = read_nifti_labels(a->labels);
    if (!labels.grid().same_space(chi.grid())) {
      log::info("resampling the label image onto the chi grid (nearest neighbour)");
      labels = resample_nearest(labels, chi.grid());
    }
    std::string names_from;
    const std::map<int32_t, std::string> names = read_label_names(a->labels, a->lut, &names_from);
    RoiStatsOptions o;
    o.erode_mm = a->erode_mm;
    o.bilateral = !a->no_bilateral;
    set_roi_reference(o, a->reference);
    if (a->iron) o.iron = a->calibration;
    if (!a->norms.empty()) {
      o.norms = normative_curves(read_tsv(a->norms));
      o.age_years = a->age;
    }
    Mask brain, csf;
    if (!a->mask.empty()) brain = read_nifti_mask(a->mask);
    if (!a->csf_mask.empty()) {
      csf = read_nifti_mask(a->csf_mask);
      if (!csf.grid().same_space(chi.grid())) throw std::runtime_error(a->csf_mask + ": not on the chi grid");
    }
    if (!brain.empty() && !brain.grid().same_space(chi.grid()))
      throw std::runtime_error(a->mask + ": not on the chi grid");
    const RoiStatsResult r =
        roi_stats(chi, labels, names, o, brain.empty() ? nullptr : &brain, csf.empty() ? nullptr : &csf);
    for (const RegionStats& s : r.regions)
      if (s.voxels == 0) log::warn(s.name + ": no voxels left (erosion or mask); its statistics are n/a");
    write_tsv(a->out, region_table(r, bool(o.iron), o.age_years.has_value()));
    const std::string json = a->json.empty() ? sidecar_path(a->out) : a->json;
    write_json(json, summary_json(*a, names_from, o, r));
    std::printf("%zu region(s), reference %s -> %s\n", r.regions.size(), r.reference_description.c_str(),
                a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app
