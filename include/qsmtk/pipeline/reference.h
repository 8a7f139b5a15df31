#pragma once
// Susceptibility is relative: the dipole inversion leaves the mean undetermined. A reference
// region whose mean is set to 0 makes maps comparable between scans and sessions
// (shared/MS_NOTES.md; Straub S et al., MRM 2017;78:204-214 on the choice of region).
#include <string>

#include "qsmtk/volume.h"

namespace qsmtk {

enum class ReferenceRegion { brain, csf, none };
ReferenceRegion parse_reference_region(const std::string& name);  // brain | csf | none
std::string to_string(ReferenceRegion r);

/// Automatic CSF mask for referencing (and MEDI+0) from R2* and the brain mask: voxels deeper
/// than `erode_mm` in the mask whose R2* is below `r2star_max` (CSF decays slowly: R2* ~ 1-5/s
/// against 12-25/s in tissue at 3 T), keeping only connected pieces of at least `min_volume_mm3`
/// (the ventricles; isolated low-R2* voxels are noise). As in MEDI+0's CSF extraction (Liu Z et
/// al., MRM 2018;79:2795-2803).
struct CsfMaskOptions {
  double r2star_max = 5.0;       // 1/s at 3 T; scaled by field strength / 3 T
  double erode_mm = 3.0;
  double min_volume_mm3 = 100.0;
};
Mask csf_mask_from_r2star(const Volume& r2star, const Mask& brain, double b0_tesla, const CsfMaskOptions& o = {});

/// The region used and the value removed (ppm).
struct ReferenceResult {
  ReferenceRegion region = ReferenceRegion::none;
  Mask mask;             // the region's voxels (empty for none)
  double offset_ppm = 0; // subtracted from chi inside the brain mask
  int64_t voxels = 0;
};

/// Subtracts the mean of chi over `region_mask` (brain: the brain mask itself) from chi inside
/// `brain`. Throws std::invalid_argument when the region has no voxel in the brain mask.
ReferenceResult apply_reference(Volume& chi, const Mask& brain, ReferenceRegion region, const Mask* region_mask);

}  // namespace qsmtk
