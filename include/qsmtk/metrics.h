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

}  // namespace qsmtk
