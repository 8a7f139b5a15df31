#pragma once
// Phase unwrapping: quality-guided region growing (in the spirit of ROMEO) and Laplacian.
#include <cmath>
#include <vector>

#include "qsmtk/volume.h"

namespace qsmtk {

/// Edge quality for region growing, after ROMEO (Dymerska et al., MRM 2021;85:2294-2308):
/// the product of phase coherence 1 - |wrap(dphi)|/pi, phase-gradient coherence with a second
/// echo (when given), magnitude coherence (min/max)^2 and magnitude weights that distrust
/// voxels much darker (noise) or much brighter (flow) than the tissue.
struct RegionGrowingOptions {
  bool magnitude_weights = true;
};

/// Unwraps a 3-D phase map (radians) by growing from the best voxel along the best edges;
/// every voxel is unwrapped against its already-unwrapped neighbour, so the result differs from
/// the input by exact multiples of 2 pi. Voxels outside `mask` (or NaN) are left as they are.
/// Regions that no valid edge connects are grown from their own seeds, each shifted so that its
/// median lies within (-pi, pi]. Deterministic.
/// `magnitude` (3-D) and `second_echo` (phase of a later echo, with te_ratio = TE1/TE2) improve
/// the quality estimate; both may be null.
Volume unwrap_region_growing(const Volume& wrapped, const Mask& mask, const Volume* magnitude = nullptr,
                             const Volume* second_echo = nullptr, double te_ratio = 0.5,
                             const RegionGrowingOptions& options = {});

enum class EchoUnwrapMode {
  temporal,   ///< unwrap one echo spatially, predict the others from it (offset-free phase)
  individual, ///< unwrap every echo spatially, then align their 2 pi offsets
};

/// Unwraps every echo of a 4-D phase (radians) with region growing. Temporal mode needs phase
/// without a receiver offset (see remove_phase_offset); it spatially unwraps `template_echo`
/// (0-based) and unwraps echo n by rounding to the phase predicted from the echoes unwrapped so
/// far (a magnitude-weighted line through the origin).
Volume unwrap_echoes(const Volume& phase, const Volume& magnitude, const Mask& mask,
                     const std::vector<double>& echo_times_s, EchoUnwrapMode mode = EchoUnwrapMode::temporal,
                     int template_echo = 0);

/// Laplacian unwrapping (Schofield & Zhu, Opt Lett 2003;28:1194-1196): the unwrapped phase's
/// Laplacian is cos(phi) L(sin phi) - sin(phi) L(cos phi); inverted with Neumann boundaries by a
/// discrete cosine transform. The result is smooth but not congruent (it differs from the true
/// phase by a harmonic function, removed later with the background field). 3-D input.
Volume unwrap_laplacian(const Volume& wrapped);

/// Wraps to [-pi, pi).
inline double wrap_phase(double p) { return p - 2 * M_PI * std::floor((p + M_PI) / (2 * M_PI)); }

}  // namespace qsmtk
