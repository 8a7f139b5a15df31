#include "qsmtk/pipeline/reference.h"

#include <stdexcept>

#include "qsmtk/mask/morphology.h"

namespace qsmtk {

ReferenceRegion parse_reference_region(const std::string& name) {
  if (name == "brain") return ReferenceRegion::brain;
  if (name == "csf") return ReferenceRegion::csf;
  if (name == "none") return ReferenceRegion::none;
  throw std::invalid_argument("unknown reference region '" + name + "' (brain, csf or none)");
}

std::string to_string(ReferenceRegion r) {
  switch (r) {
    case ReferenceRegion::brain: return "brain";
    case ReferenceRegion::csf: return "csf";
    case ReferenceRegion::none: return "none";
  }
  return "none";
}

Mask csf_mask_from_r2star(const Volume& r2star, const Mask& brain, double b0_tesla, const CsfMaskOptions& o) {
  require_same_space(r2star.grid(), brain.grid(), "CSF mask: R2* and brain mask");
  // R2* of tissue grows roughly linearly with B0 (Yablonskiy & Haacke; Peters AM et al., MRI 2007).
  const float level = float(o.r2star_max * (b0_tesla > 0 ? b0_tesla / 3.0 : 1.0));
  const Mask deep = o.erode_mm > 0 ? erode(brain, o.erode_mm) : brain;
  Mask low(brain.grid());
  for (int64_t q = 0; q < low.voxels(); ++q) low[q] = deep[q] && r2star[q] > 0 && r2star[q] < level;
  int32_t count = 0;
  const LabelImage labels = connected_components(low, 6, &count);
  const Vec3& h = brain.grid().voxel_size;
  const double voxel_mm3 = h[0] * h[1] * h[2];
  std::vector<int64_t> sizes(size_t(count) + 1, 0);
  for (int64_t q = 0; q < labels.voxels(); ++q) ++sizes[size_t(labels[q])];
  Mask out(brain.grid());
  for (int64_t q = 0; q < out.voxels(); ++q)
    out[q] = labels[q] > 0 && double(sizes[size_t(labels[q])]) * voxel_mm3 >= o.min_volume_mm3;
  return out;
}

ReferenceResult apply_reference(Volume& chi, const Mask& brain, ReferenceRegion region, const Mask* region_mask) {
  require_same_space(chi.grid(), brain.grid(), "reference: chi and brain mask");
  ReferenceResult r;
  r.region = region;
  if (region == ReferenceRegion::none) return r;
  if (region == ReferenceRegion::csf) {
    if (!region_mask) throw std::invalid_argument("CSF referencing needs a CSF mask");
    require_same_space(chi.grid(), region_mask->grid(), "reference: chi and CSF mask");
  }
  r.mask = Mask(brain.grid());
  double sum = 0;
  for (int64_t q = 0; q < chi.voxels(); ++q) {
    const bool in = brain[q] && (region == ReferenceRegion::brain || (*region_mask)[q]);
    r.mask[q] = in;
    if (in) sum += chi[q], ++r.voxels;
  }
  if (r.voxels == 0)
    throw std::invalid_argument("the " + to_string(region) + " reference region has no voxel inside the brain mask");
  r.offset_ppm = sum / double(r.voxels);
  const float off = float(r.offset_ppm);
  for (int64_t q = 0; q < chi.voxels(); ++q)
    if (brain[q]) chi[q] -= off;
  return r;
}

}  // namespace qsmtk
