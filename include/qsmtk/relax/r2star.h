#pragma once
// R2*, T2* and S0 from multi-echo magnitude.
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

enum class R2StarMethod {
  loglinear,  ///< weighted least squares of log |S| against TE (weights |S|^2)
  arlo,       ///< auto-regression on linear operations (Pei et al., MRM 2015;73:843-850):
              ///< Simpson integrals of echo triplets regressed on their end differences;
              ///< needs >= 3 equally spaced echoes
  nonlinear,  ///< Levenberg-Marquardt fit of S0 exp(-R2* TE), started from the log-linear fit
};

struct R2StarMaps {
  Volume r2star;  // 1/s, clamped to [0, 2000]
  Volume t2star;  // s, 1/R2* (capped at 1 s)
  Volume s0;      // signal at TE = 0, magnitude units
};

/// Fits inside `mask` (0 outside). Needs >= 2 echoes (>= 3 for arlo).
R2StarMaps fit_r2star(const Volume& magnitude, const std::vector<double>& echo_times_s, const Mask& mask,
                      R2StarMethod method = R2StarMethod::arlo);

}  // namespace qsmtk
