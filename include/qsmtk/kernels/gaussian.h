#pragma once
// Separable Gaussian smoothing in millimetres (zero outside the volume, kernel cut at 3 sigma).
#include "qsmtk/volume.h"

namespace qsmtk {

/// Smooths every frame of v in place with a Gaussian of standard deviation sigma_mm.
void gaussian_smooth(Volume& v, double sigma_mm);

}  // namespace qsmtk
