#pragma once
// Combination of the echoes' phase into one field map, with a map of its uncertainty.
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

enum class EchoFitMethod {
  /// Weighted least squares of the unwrapped phase against TE with an intercept,
  /// weights |S_n|^2 (phase noise variance is sigma^2/|S_n|^2).
  weighted_linear,
  /// Nonlinear fit of the complex signal, minimising sum |S_n|^2 (1 - cos(phi_n - phi0 - w TE_n))
  /// by Newton steps from the linear fit: insensitive to residual 2 pi errors in single echoes
  /// (as MEDI's complex fit; Liu et al., MRM 2013;69:467-476).
  complex_nonlinear,
};

struct FieldFit {
  Volume field_hz;    // frequency offset, Hz (0 outside the mask)
  Volume offset_rad;  // fitted phase at TE = 0, radians
  Volume noise_hz;    // standard deviation of field_hz (Cramer-Rao bound from |S_n| and sigma), Hz
  double noise_sd = 0;  // complex noise standard deviation sigma used, in magnitude units
};

/// Fits the field inside `mask`. With one echo, field = phase / (2 pi TE). `noise_sd` <= 0 means
/// estimate it (estimate_noise_sd, else from the fit residuals).
FieldFit fit_field(const Volume& unwrapped_phase, const Volume& magnitude, const std::vector<double>& echo_times_s,
                   const Mask& mask, EchoFitMethod method = EchoFitMethod::weighted_linear, double noise_sd = 0);

/// Complex noise SD from the magnitude of the first echo in the background (voxels farther than
/// 10 mm from the mask, above zero, iteratively restricted to those below 4 sigma), by the
/// Rayleigh median: median = sigma sqrt(2 ln 2). Returns 0 when there are too few such voxels.
double estimate_noise_sd(const Volume& magnitude, const Mask& mask);

}  // namespace qsmtk
