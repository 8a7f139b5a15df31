#pragma once
// From multi-echo magnitude and phase (radians) to the total field map: brain mask, receiver
// phase offset removal, unwrapping, echo combination, and R2*/T2*/S0 and SWI from the same data.
#include <string>
#include <utility>
#include <vector>

#include "qsmtk/mask/brain_mask.h"
#include "qsmtk/phase/echo_fit.h"
#include "qsmtk/phase/swi.h"
#include "qsmtk/phase/unwrap.h"
#include "qsmtk/relax/r2star.h"

namespace qsmtk {

enum class UnwrapMethod { romeo, laplacian };
UnwrapMethod parse_unwrap_method(const std::string& name);  // romeo | laplacian
std::string to_string(UnwrapMethod m);

struct FieldMapOptions {
  BrainMaskOptions mask;
  const Mask* user_mask = nullptr;          // use this mask instead of computing one
  bool remove_offset = true;                // MCPC-3D-S (needs >= 2 echoes)
  UnwrapMethod unwrap = UnwrapMethod::romeo;
  EchoUnwrapMode echo_mode = EchoUnwrapMode::temporal;
  EchoFitMethod fit = EchoFitMethod::weighted_linear;
  /// After the echo fit, peel off edge voxels whose field noise SD exceeds this multiple of the
  /// mask's median, connected through such voxels to the edge and no deeper than
  /// edge_noise_max_depth_mm: partial volume with bone, air and sinuses, where the phase is
  /// unreliable (often a wrong 2 pi) and whose strong fields would streak the inversion (on the
  /// 2 mm phantom they took TKD from 68% to 350% NRMSE). Only for computed masks; 0 disables.
  double edge_noise_factor = 2.0;
  double edge_noise_max_depth_mm = 10.0;
  bool r2star = true;                       // with >= 3 echoes
  R2StarMethod r2star_method = R2StarMethod::arlo;  // falls back to log-linear for uneven echoes
  bool swi = false;
  SwiOptions swi_options;
};

struct FieldMapResult {
  Mask mask;
  Volume phase_offset;      // removed receiver offset (radians), empty when not removed
  Volume unwrapped;         // 4-D unwrapped phase (radians, offset removed)
  FieldFit fit;             // field_hz, noise_hz, ...
  R2StarMaps r2star;        // empty unless computed
  SwiImages swi;            // empty unless computed
  std::string r2star_method;
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, double>> seconds;  // time per step
};

/// Runs the chain on 4-D magnitude and phase (radians) with echo times in seconds.
FieldMapResult map_field(const Volume& magnitude, const Volume& phase, const std::vector<double>& echo_times_s,
                         const FieldMapOptions& options = {});

}  // namespace qsmtk
