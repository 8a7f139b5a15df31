#pragma once
// Stored phase values -> radians, for every form scanners and converters write.
#include <string>

#include "qsmtk/volume.h"

namespace qsmtk {

enum class PhaseUnits {
  automatic,      ///< decide from the value range (and the manufacturer)
  radians,        ///< already in [-pi, pi]
  siemens_12bit,  ///< unsigned 0..4095 for -pi..pi: (v - 2048) pi / 2048
  siemens_signed, ///< -4096..4094 (RescaleSlope 2, RescaleIntercept -4096): v pi / 4096
  milliradians,   ///< Philips: -3142..3142 mrad: v / 1000
  rescale,        ///< any other range: [min, max] mapped linearly onto [-pi, pi] (with a warning)
};

PhaseUnits parse_phase_units(const std::string& name);  // auto|radians|siemens12|siemens-signed|mrad|rescale
std::string to_string(PhaseUnits u);

struct PhaseScaling {
  PhaseUnits units = PhaseUnits::radians;
  double scale = 1.0, offset = 0.0;  // radians = scale * value + offset
  double min = 0, max = 0;           // finite value range seen (after NIfTI scaling)
  std::string description;           // for provenance and warnings
};

/// Decides how stored values map to radians from their range over all echoes (NaN ignored):
/// within [-pi, pi] (1e-3 tolerance) and spanning more than pi -> radians; integers in [0, 4095] -> Siemens 12-bit;
/// integers in [-4096, 4095] reaching below -4 -> Siemens signed; within +-3142.6 and above 4,
/// or the manufacturer is Philips -> milliradians; anything else -> rescale.
PhaseScaling detect_phase_scaling(const Volume& phase, const std::string& manufacturer = "",
                                  PhaseUnits requested = PhaseUnits::automatic);

/// Applies the scaling in place and wraps the result into [-pi, pi).
void apply_phase_scaling(Volume& phase, const PhaseScaling& s);

}  // namespace qsmtk
