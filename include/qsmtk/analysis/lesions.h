#pragma once
// MS lesion analysis on a susceptibility map: lesion labels from masks, label images or
// probability maps; per-lesion chi statistics against normal-appearing white matter (NAWM);
// rim analysis and the paramagnetic rim lesion (PRL) flag. In-memory only (no file names).
//
// Usage:
//   LabelImage labels = lesion_labels(lesion_volume, {});               // auto-detects the kind
//   if (!labels.grid().same_space(chi.grid())) labels = resample_nearest(labels, chi.grid());
//   LesionAnalysis a = analyse_lesions(chi_ppm, labels, {}, &brain_mask);  // wm, r2star optional
//   for (const LesionStats& l : a.lesions) ... l.delta_chi_ppb, l.rim_coverage, l.prl
//   a.prl_count, a.prl_at_least_1, a.prl_at_least_4
//
// Conventions: chi in ppm in, ppb in every result. Distances from the lesion edge are signed
// (negative inside): a voxel's distance to the nearest voxel centre on the other side minus half
// the smallest voxel size, so the edge lies midway between the last lesion voxel and the first
// outside one. "Slices" are planes of the third array axis (the acquisition's slices; axial for
// an axial acquisition), and azimuth is measured in that plane.
//
// PRL rule (Absinta et al., JAMA Neurol 2019; rims read on QSM as in Absinta et al., Ann Neurol
// 2016, and Dal-Bianco et al., Acta Neuropathol 2017, for the iron-laden microglia at the edge of
// chronic active lesions): a paramagnetic rim covering >= 2/3 of the lesion edge on >= 2
// consecutive slices. Automated rim coverage in the spirit of Ng Kee Kwong et al. 2021 and
// Marcille et al. 2022: per slice, the edge is cut into azimuthal sectors about the lesion's
// in-slice centroid; a sector carries rim when the median chi of its inner band (the outer
// rim_inner_mm of the lesion) or of its outer band (rim_outer_mm outside) exceeds NAWM by
// threshold_ppb and the lesion core by core_contrast_ppb. The two bands are tested apart so the
// more numerous outside voxels cannot outvote a rim just inside the edge; the core test keeps
// uniformly paramagnetic lesions, whose edge is no brighter than their centre, from reading as
// rims. Slices with fewer than min_sectors sectors holding band voxels are not evaluated.
// The rule needs voxels well below the rim thickness: on the phantom it finds every PRL at
// 1 mm, but only 4 of 6 at 2 mm, where its 1 mm rims are half a voxel thick.
#include <cstdint>
#include <string>
#include <vector>

#include "qsmtk/resample.h"  // resample_nearest for lesion images on another grid
#include "qsmtk/volume.h"

namespace qsmtk {

// ---- lesion labels ----

enum class LesionInputKind { automatic, binary, labels, probability };

struct LesionLabelOptions {
  LesionInputKind kind = LesionInputKind::automatic;
  int connectivity = 26;            // 6, 18 or 26 (LST-AI uses 26) for binary and probability input
  double min_size_mm3 = 0;          // components smaller than this are dropped (binary, probability)
  double probability_threshold = 0.5;  // voxel is lesion when p >= threshold
};

/// automatic: every value in {0, 1} -> binary; integer-valued with a value above 1 -> labels;
/// otherwise probability. Throws std::invalid_argument on NaN/Inf or negative labels.
LesionInputKind detect_lesion_kind(const Volume& lesions);
const char* to_string(LesionInputKind kind);
/// "auto", "binary", "labels" or "probability" (the --kind names); throws std::invalid_argument otherwise.
LesionInputKind lesion_input_kind_from_string(const std::string& name);

/// Connected components of a binary mask, 1..n by decreasing size, without those under
/// `min_size_mm3`.
LabelImage lesion_labels_from_mask(const Mask& mask, int connectivity, double min_size_mm3 = 0);
/// Voxels with p >= threshold.
Mask threshold_probability(const Volume& probability, double threshold = 0.5);
/// Lesion labels from any of the three kinds; a label image keeps its ids.
LabelImage lesion_labels(const Volume& lesions, const LesionLabelOptions& options = {});

// ---- per-lesion statistics and rims ----

struct LesionAnalysisOptions {
  // NAWM reference: perilesional shell [shell_inner_mm, shell_outer_mm] outside the edge.
  double shell_inner_mm = 1.0, shell_outer_mm = 3.0;
  double other_lesion_margin_mm = 1.0;  // shell voxels this close to another lesion are dropped
  int64_t min_reference_voxels = 10;    // with a WM mask: fewer WM shell voxels -> global WM
  // Radial profile from the deepest voxel to +profile_outer_mm, bands of profile_band_mm.
  double profile_band_mm = 0.5, profile_outer_mm = 3.0;
  // Rim band: the outer rim_inner_mm of the lesion and rim_outer_mm outside it.
  double rim_inner_mm = 1.5, rim_outer_mm = 1.0;
  int sectors = 12;                  // azimuthal sectors per slice
  int min_sectors = 6;               // a slice is evaluated when this many sectors hold band voxels
  double threshold_ppb = 10;         // sector median above NAWM by more than this
  double core_contrast_ppb = 3;      // ... and above the lesion core mean by more than this (< 0: off);
                                     // low because reconstructions blur a 1 mm rim into the core
  double min_coverage = 2.0 / 3.0;   // a slice "has a rim" at this coverage
  int min_consecutive_slices = 2;    // PRL: that many consecutive rim slices
};

struct RadialBand {
  double from_mm = 0, to_mm = 0;  // signed distance from the edge, [from, to)
  int64_t voxels = 0;
  double mean_chi_ppb = 0;        // NaN when empty
};

struct SliceRim {
  int64_t slice = 0;              // index along the third array axis
  int sectors_with_data = 0, rim_sectors = 0;
  double coverage = 0;            // rim_sectors / sectors_with_data; NaN when not evaluated
};

struct LesionStats {
  int32_t id = 0;
  int64_t voxels = 0;
  double volume_mm3 = 0;
  Vec3 centroid_world_mm{};
  double mean_chi_ppb = 0, median_chi_ppb = 0, sd_chi_ppb = 0, p10_chi_ppb = 0, p90_chi_ppb = 0;
  // NAWM reference: median chi of `reference` ("shell", "wm_shell", "wm_global"; "none" when no
  // voxel qualified, and then NaN).
  std::string reference;
  int64_t reference_voxels = 0;
  double reference_chi_ppb = 0;
  double delta_chi_ppb = 0;        // mean_chi_ppb - reference_chi_ppb
  double mean_r2star = 0;          // 1/s; NaN without an R2* map
  // Rim analysis.
  std::vector<RadialBand> profile;
  double edge_chi_ppb = 0, core_chi_ppb = 0;  // mean of the outer rim_inner_mm / the rest
  double rim_score_ppb = 0;        // edge - core
  std::vector<SliceRim> slices;
  int rim_slices = 0;              // evaluated slices with coverage >= min_coverage
  int max_consecutive_rim_slices = 0;
  // Mean coverage over the evaluated slices in the middle third of the lesion's slice range
  // (the slices through its widest part, where the edge is seen in plane); the maximum over all
  // evaluated slices when none there; NaN when no slice was evaluated.
  double rim_coverage = 0;
  bool prl = false;                // max_consecutive_rim_slices >= min_consecutive_slices
};

struct LesionAnalysis {
  std::vector<LesionStats> lesions;  // by increasing id
  int prl_count = 0;
  bool prl_at_least_1 = false;       // ~99.7% specific for MS against mimics
  bool prl_at_least_4 = false;       // marks more aggressive disease
};

/// Analyses every nonzero label of `labels` on `chi_ppm` (same grid). Optional: `brain_mask`
/// (reference and rim voxels outside it are dropped), `wm_mask` (NAWM from its voxels in the
/// shell, else the whole mask minus lesions), `r2star` (1/s). Throws std::invalid_argument on
/// mismatched grids or a non-finite chi inside a lesion; no lesions gives an empty result.
LesionAnalysis analyse_lesions(const Volume& chi_ppm, const LabelImage& labels,
                               const LesionAnalysisOptions& options = {}, const Mask* brain_mask = nullptr,
                               const Mask* wm_mask = nullptr, const Volume* r2star = nullptr);

}  // namespace qsmtk
