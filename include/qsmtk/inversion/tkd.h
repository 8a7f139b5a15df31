#pragma once
// Truncated k-space division (TKD): chi = F^-1[ F(field) / D_t ], with D_t = D where
// |D| >= t and sign(D) t elsewhere (Shmueli et al., MRM 2009; Wharton et al., MRM 2010).
#include "qsmtk/kernels/dipole.h"

namespace qsmtk {

struct TkdOptions {
  double threshold = 0.19;   // t, the smallest |D| divided by
  double pad_fraction = 0.5; // zero padding per side, fraction of the mask's bounding box
  DipoleKernelType kernel = DipoleKernelType::continuous;
};

/// chi (ppm) inside `mask` from the local field (ppm); 0 outside the mask.
Volume tkd(const Volume& local_field_ppm, const Mask& mask, const Vec3& b0, const TkdOptions& options = {});

}  // namespace qsmtk
