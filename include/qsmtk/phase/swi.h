#pragma once
// Susceptibility-weighted imaging (Haacke et al., MRM 2004;52:612-618) and a multi-echo,
// CLEAR-SWI-style combination (Eckstein et al., NeuroImage 2021;237:118175).
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

struct SwiOptions {
  double highpass_sigma_mm = 4.0;  // homodyne filter: Gaussian low-pass of the complex signal
  int mask_power = 4;              // phase mask applied n times
  bool paramagnetic_dark = true;   // darken phase of paramagnetic sign (veins); CONVENTIONS' sign
  double minip_mm = 16.0;          // slab thickness of the minimum-intensity projection
};

struct SwiImages {
  Volume swi;    // magnitude x phase mask^n
  Volume minip;  // sliding minimum-intensity projection over slabs along the slice axis
  Volume phase;  // the high-pass filtered phase used (radians)
};

/// Single-echo SWI of echo `echo` (0-based): homodyne high-pass phase, phase mask, minIP.
SwiImages swi_homodyne(const Volume& magnitude, const Volume& phase, const Mask& mask, int echo,
                       const SwiOptions& options = {});

/// Multi-echo SWI: magnitude combined as root sum of squares over echoes, phase from the fitted
/// field (Hz) high-pass filtered within the mask and scaled to the reference TE (default: the
/// mean echo time), then masked as above.
SwiImages swi_multi_echo(const Volume& magnitude, const Volume& field_hz, const Mask& mask,
                         const std::vector<double>& echo_times_s, const SwiOptions& options = {},
                         double reference_te_s = 0);

}  // namespace qsmtk
