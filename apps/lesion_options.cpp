#include "lesion_options.h"

#include <nlohmann/json.hpp>

#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"

namespace qsmtk::app {

void declare_lesion_options(CLI::App& app, LesionArgs& a) {
  app.add_option("--kind", a.kind, "Lesion image kind: auto, binary, labels or probability")
      ->check(CLI::IsMember({"auto", "binary", "labels", "probability"}))
      ->capture_default_str();
  app.add_option("--threshold", a.labels.probability_threshold, "Probability map threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--connectivity", a.labels.connectivity, "Connectivity of lesion components: 6, 18 or 26")
      ->check(CLI::IsMember({6, 18, 26}))
      ->capture_default_str();
  app.add_option("--min-volume", a.labels.min_size_mm3, "Drop components smaller than this (mm^3)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--rim-threshold", a.analysis.threshold_ppb,
                 "A rim sector's chi must exceed the reference (and the core) by this (ppb)")
      ->capture_default_str();
  app.add_option("--rim-core-contrast", a.analysis.core_contrast_ppb,
                 "... and a rim sector's chi must exceed the lesion core's mean by this (ppb; < 0: no core test)")
      ->capture_default_str();
  app.add_option("--rim-coverage", a.analysis.min_coverage, "Coverage that makes a slice a rim slice")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--rim-slices", a.analysis.min_consecutive_slices, "Consecutive rim slices that make a PRL")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--sectors", a.analysis.sectors, "Azimuthal sectors per slice for the rim coverage")
      ->check(CLI::Range(4, 72))
      ->capture_default_str();
}

LabelImage read_lesion_labels(const std::string& path, const Grid& chi_grid, const LesionArgs& a,
                              LesionInputKind* kind_used) {
  Volume image = read_nifti(path);
  LesionLabelOptions o = a.labels;
  o.kind = lesion_input_kind_from_string(a.kind);
  if (o.kind == LesionInputKind::automatic) o.kind = detect_lesion_kind(image);
  if (!image.grid().same_space(chi_grid)) {
    log::info(path + ": resampling the lesion image onto the chi grid (nearest neighbour)");
    image = resample_nearest(image, chi_grid);
  }
  if (kind_used) *kind_used = o.kind;
  return lesion_labels(image, o);
}

Json lesion_options_json(const LesionArgs& a) {
  const LesionAnalysisOptions& o = a.analysis;
  return {{"Connectivity", a.labels.connectivity},
          {"MinVolumeMm3", a.labels.min_size_mm3},
          {"ProbabilityThreshold", a.labels.probability_threshold},
          {"ShellMm", {o.shell_inner_mm, o.shell_outer_mm}},
          {"RimInnerMm", o.rim_inner_mm},
          {"RimOuterMm", o.rim_outer_mm},
          {"Sectors", o.sectors},
          {"RimThresholdPpb", o.threshold_ppb},
          {"CoreContrastPpb", o.core_contrast_ppb},
          {"RimMinCoverage", o.min_coverage},
          {"PrlConsecutiveSlices", o.min_consecutive_slices}};
}

Table lesion_table(const LesionAnalysis& a, bool with_r2star) {
  Table t;
  t.columns = {"lesion_id",      "volume_mm3",    "voxels",        "x_mm",          "y_mm",
               "z_mm",           "mean_chi_ppb",  "median_chi_ppb", "sd_chi_ppb",   "p10_chi_ppb",
               "p90_chi_ppb",    "reference",     "reference_chi_ppb", "delta_chi_ppb", "rim_score_ppb",
               "rim_coverage",   "rim_slices",    "max_consecutive_rim_slices", "prl"};
  if (with_r2star) t.columns.push_back("mean_r2star");
  for (const LesionStats& l : a.lesions) {
    std::vector<std::string> r = {std::to_string(l.id),          tsv_number(l.volume_mm3),
                                  std::to_string(l.voxels),      tsv_number(l.centroid_world_mm[0]),
                                  tsv_number(l.centroid_world_mm[1]), tsv_number(l.centroid_world_mm[2]),
                                  tsv_number(l.mean_chi_ppb),    tsv_number(l.median_chi_ppb),
                                  tsv_number(l.sd_chi_ppb),      tsv_number(l.p10_chi_ppb),
                                  tsv_number(l.p90_chi_ppb),     l.reference,
                                  tsv_number(l.reference_chi_ppb), tsv_number(l.delta_chi_ppb),
                                  tsv_number(l.rim_score_ppb),   tsv_number(l.rim_coverage, 3),
                                  std::to_string(l.rim_slices),  std::to_string(l.max_consecutive_rim_slices),
                                  l.prl ? "1" : "0"};
    if (with_r2star) r.push_back(tsv_number(l.mean_r2star));
    t.rows.push_back(std::move(r));
  }
  return t;
}

}  // namespace qsmtk::app
