#pragma once
// From tissue maps on a fine grid to the MR signal and true fields on the output grid.
#include <cstdint>
#include <vector>

#include "qsmtk/sim/phantom.h"
#include "qsmtk/volume.h"

namespace qsmtk::sim {

class HeadModel;

/// Tissue maps on the fine grid (supersampled output grid; plain Grid with dims only).
struct FineMaps {
  int factor = 2;
  Vec3 voxel_mm{};
  Volume chi, para, m0, r2star;
};

/// Phantom-frame position (mm) of voxel (i, j, k) of a grid of `dims` with voxel `h`, centred.
inline Vec3 centred_position(const Dims& dims, const Vec3& h, double i, double j, double k) {
  return {(i - (dims[0] - 1) / 2.0) * h[0], (j - (dims[1] - 1) / 2.0) * h[1], (k - (dims[2] - 1) / 2.0) * h[2]};
}

/// Paints the head model on the grid `factor` times finer than `out_grid`, with partial
/// volume at boundaries and smooth texture (seeded).
FineMaps rasterize(const HeadModel& model, const Grid& out_grid, int factor, uint64_t seed);

/// Block mean of a fine map onto the output grid.
Volume block_mean(const Volume& fine, int factor, const Grid& out_grid);

/// Relative field (ppm) of chi on the fine grid: (chi - outside) is zero padded by
/// pad_fraction of each dimension per side and convolved with the dipole kernel.
/// chi is restored before returning.
Volume fine_field_ppm(Volume& chi, double outside, const Vec3& voxel_mm, const Vec3& b0, double pad_fraction);

struct SignalOptions {
  double b0_tesla = 3;
  std::vector<double> echo_times_s;
  double snr = 100;
  bool noise = true, phase_offset = true;
  uint64_t seed = 1;
};

/// Multi-echo complex signal averaged from the fine grid to the output grid, plus the smooth
/// receiver phase and noise. Writes magnitude and wrapped phase (4-D) and returns the noise SD.
double simulate_signal(const FineMaps& fine, const Volume& field_ppm, const Grid& out_grid, const Mask& brain,
                       const SignalOptions& options, Volume& magnitude, Volume& phase);

}  // namespace qsmtk::sim
