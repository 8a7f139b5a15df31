#pragma once
// Regional susceptibility statistics: per label of a label map (FreeSurfer/SynthSeg aseg, the
// simulator's deep grey matter dseg, any label image with names), optional erosion against
// partial volume, bilateral rows for FreeSurfer "Left-"/"Right-" pairs, a reference region
// subtracted first, iron concentration estimates through a linear calibration, and z-scores
// against user-supplied age-normative curves. In-memory only (no file names).
//
// Usage:
//   RoiStatsOptions o;
//   o.erode_mm = 1;
//   o.reference = RoiReference::csf;                       // csf_mask, or labels named *CSF*/*Ventricle*
//   o.iron = IronCalibration{};                            // Langkammer 2012 default
//   o.norms = normative_curves(read_tsv("norms.tsv")); o.age_years = 42;
//   RoiStatsResult r = roi_stats(chi_ppm, labels, names, o, &brain, &csf);
//   for (const RegionStats& s : r.regions) ... s.name, s.mean_chi_ppb, s.iron_ug_per_g, s.z
//
// Conventions: chi in ppm in, ppb in every result. Statistics are over the label's voxels that
// survive the erosion, lie inside the brain mask (when given) and have a finite chi: mean,
// sample SD (n - 1), median and P10/P90 (linear interpolation between order statistics, R type 7).
// Every statistic except the SD has the reference mean subtracted.
//
// Left/right: when both "Left-X" and "Right-X" are present (FreeSurfer's naming), an extra
// bilateral row "X" pools the voxels of both sides (a voxel-weighted mean, not the mean of the
// two means). Asymmetry is not reported; it follows from the two hemisphere rows.
//
// Iron (an ESTIMATE, valid at best for deep grey matter, where the calibration was measured):
// [Fe] (ug/g wet tissue) = (chi_ppb - intercept_ppb) / slope_ppb_per_ug_g, applied to each
// region's referenced mean. The default calibration is the grey matter regression of Langkammer
// et al., NeuroImage 2012;62:1593-1599 (post mortem, in situ, 13 brains, ICP-MS iron); see
// IronCalibration for the status of its numbers.
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qsmtk/io/tsv.h"
#include "qsmtk/volume.h"

namespace qsmtk {

/// Label names from the text of a lookup table: a BIDS dseg TSV (a header row with the columns
/// `index` and `name`, tab-separated) or FreeSurfer's LUT (`index name R G B A` separated by
/// white space, lines starting with '#' and blank lines skipped). `what` names the source in
/// errors. Throws std::runtime_error on a line without an integer index and a name.
std::map<int32_t, std::string> parse_label_lut(const std::string& text, const std::string& what = "lookup table");

enum class RoiReference { none, brain, csf, region };
const char* to_string(RoiReference r);

/// chi [ppb] = slope * [Fe] (ug/g = mg/kg wet tissue) + intercept.
/// Default: slope 0.97 ppb per ug/g (0.00097 ppm per ug/g) and intercept -11 ppb, the grey matter
/// regression of Langkammer et al. 2012 as recalled from the paper; the abstract available to us
/// confirms the study design and r = 0.84 in grey matter but is cut off before the slope, so both
/// numbers are marked for checking against the paper's text. Configurable for that reason.
struct IronCalibration {
  double slope_ppb_per_ug_g = 0.97;
  double intercept_ppb = -11.0;
  std::string source =
      "Langkammer C et al. Quantitative susceptibility mapping (QSM) as a means to measure brain iron? A post "
      "mortem validation study. NeuroImage 2012;62:1593-1599 (grey matter regression)";
};
/// Estimated iron (ug/g wet tissue) for a chi in ppb; NaN for a NaN chi. Throws on a zero slope.
double iron_estimate_ug_per_g(double chi_ppb, const IronCalibration& c);

/// Expected chi (ppb) of a region at an age: linear mean = a + b*age; exponential
/// mean = a*(1 - exp(-b*age)) + c (Hallgren and Sourander's form); sd in ppb.
struct NormativeCurve {
  enum class Model { linear, exponential };
  std::string region;
  Model model = Model::linear;
  double a = 0, b = 0, c = 0, sd = 1;
  double expected_ppb(double age_years) const;
  /// (measured - expected) / sd.
  double z(double measured_ppb, double age_years) const { return (measured_ppb - expected_ppb(age_years)) / sd; }
};
/// Curves from a table with the columns region, model (linear | exponential), a, b, c (may be
/// empty or n/a for linear) and sd (> 0). Throws std::runtime_error naming the row on bad values.
std::vector<NormativeCurve> normative_curves(const Table& table);

struct RoiStatsOptions {
  double erode_mm = 0;                 // each label eroded by a ball of this radius first
  RoiReference reference = RoiReference::none;
  std::string reference_region;        // for RoiReference::region: a label name or a bilateral name
  bool bilateral = true;               // add pooled rows for Left-X / Right-X pairs
  std::optional<IronCalibration> iron; // iron estimates when set
  std::vector<NormativeCurve> norms;   // z-scores for the regions named here ...
  std::optional<double> age_years;     // ... only when the age is given
};

/// --reference brain | csf | none | <a label name> into the options.
void set_roi_reference(RoiStatsOptions& options, const std::string& reference);

struct RegionStats {
  int32_t label = 0;                   // 0 for a bilateral row
  std::vector<int32_t> labels;         // the labels pooled (one for a plain row)
  std::string name;
  std::string hemisphere;              // left | right | bilateral | "" (no side in the name)
  int64_t voxels_before_erosion = 0;   // inside the brain mask when given
  int64_t voxels = 0;                  // used for the statistics
  double volume_mm3 = 0;               // of `voxels`
  double mean_chi_ppb = 0, median_chi_ppb = 0, sd_chi_ppb = 0, p10_chi_ppb = 0, p90_chi_ppb = 0;  // NaN when empty
  double iron_ug_per_g = NAN;          // estimate; NaN without a calibration
  double expected_chi_ppb = NAN, z = NAN;  // NaN without a matching curve or age
};

struct RoiStatsResult {
  std::vector<RegionStats> regions;    // by label, then the bilateral rows by name
  RoiReference reference = RoiReference::none;
  std::string reference_description;   // e.g. "csf (mask)", "csf (labels: 3rd-Ventricle, ...)", "region Left-Putamen"
  int64_t reference_voxels = 0;
  double reference_chi_ppb = 0;        // mean chi of the reference region before subtraction (0 for none)
};

/// Statistics for every nonzero label of `labels` on `chi_ppm` (same grid). `names` gives label
/// names (missing ones become "label_<n>"). `brain_mask` (optional) restricts every region and is
/// the whole-brain reference; `csf_mask` (optional) is the CSF reference, else the labels whose
/// names contain "CSF" or "Ventricle" (case-insensitive). The reference region is not eroded.
/// Throws std::invalid_argument on mismatched grids, a non-finite chi inside a label, or a
/// reference that cannot be formed (no brain mask, no CSF, an unknown or empty region).
RoiStatsResult roi_stats(const Volume& chi_ppm, const LabelImage& labels, const std::map<int32_t, std::string>& names,
                         const RoiStatsOptions& options = {}, const Mask* brain_mask = nullptr,
                         const Mask* csf_mask = nullptr);

}  // namespace qsmtk
