#pragma once
// Removal of the receiver phase offset shared by all echoes.
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

struct PhaseOffsetOptions {
  double smoothing_mm = 4.0;  // Gaussian sigma applied to the offset (it is smooth by nature)
  int echo_a = 0, echo_b = 1; // the echo pair used (0-based)
};

/// MCPC-3D-S (Eckstein et al., MRM 2018;79:2996-3006): from two echoes a and b, the offset is
/// phi0 = phi_a - TE_a (phi_b - phi_a)_unwrapped / (TE_b - TE_a), with the echo-difference phase
/// unwrapped spatially (region growing), then smoothed as a complex map. Returns phi0 (radians).
Volume estimate_phase_offset(const Volume& phase, const Volume& magnitude, const Mask& mask,
                             const std::vector<double>& echo_times_s, const PhaseOffsetOptions& options = {});

/// phase - offset for every echo, rewrapped to [-pi, pi).
Volume remove_phase_offset(const Volume& phase, const Volume& offset);

/// Complex Gaussian smoothing of a phase map (weights: magnitude), sigma in mm; result rewrapped.
Volume smooth_phase(const Volume& phase, const Volume& weight, double sigma_mm);

}  // namespace qsmtk
