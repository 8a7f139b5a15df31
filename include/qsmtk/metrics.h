#pragma once
// Accuracy of a susceptibility map against ground truth, as `qsmtk compare` reports it.
// Every metric is computed inside the mask after removing each map's own mean there, because
// QSM is defined only up to a constant (the reference).
#include <map>
#include <string>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

struct RegionError {
  int32_t label = 0;
  std::string name;
  int64_t voxels = 0;
  double true_mean_ppm = 0, test_mean_ppm = 0;  // after demeaning each map in the mask
  double error_ppb = 0;                         // test - true
};

struct Comparison {
  int64_t mask_voxels = 0;
  double nrmse_pct = 0;  // 100 ||x - t|| / ||t||
  double hfen_pct = 0;   // NRMSE of Laplacian-of-Gaussian filtered maps (15^3 voxels, sigma 1.5)
  double ssim = 0;       // mean 3-D SSIM in the mask (Gaussian window sigma 1.5 voxels)
  std::vector<RegionError> roi;
};

/// Compares `test` with `truth` inside `mask`; per-label errors when `labels` is given
/// (label 0 is background; `names` maps labels to names).
Comparison compare_maps(const Volume& truth, const Volume& test, const Mask& mask, const LabelImage* labels = nullptr,
                        const std::map<int32_t, std::string>& names = {});

/// 100 ||x - t|| / ||t|| over the mask after demeaning each there.
double nrmse_percent(const Volume& truth, const Volume& test, const Mask& mask);

/// How well a field map matches the truth (docs/accuracy.md, field mapping).
struct FieldMapScore {
  double dice = 0;                    // estimated vs true brain mask
  double wrong_multiple_pct = 0;      // unwrapped phase off the true phase by a non-majority 2 pi multiple
  double rms_error_hz = 0;            // field error about its mean, mask eroded by `erode_mm`
  double rms_noise_hz = 0;            // RMS of the predicted field SD there
  double median_error_over_noise = 0; // median |error| / (0.6745 median SD): 1 when the error is the noise
};

/// Scores `unwrapped` (4-D, offset removed), `field_hz` and `noise_hz` inside mask AND true_mask
/// against the true total field; wrong multiples counted over all echoes.
FieldMapScore score_field_map(const Mask& mask, const Mask& true_mask, const Volume& unwrapped,
                              const std::vector<double>& echo_times_s, const Volume& field_hz,
                              const Volume& noise_hz, const Volume& true_field_hz, double erode_mm = 2.0);

}  // namespace qsmtk
