#pragma once
// From tissue maps on a fine grid to the MR signal and true fields on the output grid.
#include <cstdint>
#include <vector>

#include "qsmtk/kernels/dipole.h"
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

struct FieldOptions {
  double pad_fraction = 0.1;  // zero padding per side of the fine FFT grid (fraction of each dim)
  bool far_field_correction = true;
  double coarse_mm = 4.0;     // voxel size of the far-field correction grid
  double far_pad = 2.0;       // padding per side of the correction's large cell (fraction)
  DipoleKernelType kernel = DipoleKernelType::continuous;
  double nyquist_taper = 0.6;  // on the fine grid only (above the output band); see dipole.h
};

/// Relative field (ppm) of chi on the fine grid, chi taken as `outside` beyond the grid.
/// The fine convolution sees periodic images of the head one padded cell away; their field
/// (smooth inside the head) is replaced by that of images 5 cells away, computed on a coarse
/// grid: field = fine(cell c) + interp(coarse(cell 5c) - coarse(cell c)).
Volume fine_field_ppm(const Volume& chi, double outside, const Vec3& voxel_mm, const Vec3& b0,
                      const FieldOptions& options);
/// Bytes of FFT work arrays fine_field_ppm needs at most for a chi map of `dims` (memory checks).
int64_t fine_field_work_bytes(const Dims& dims, const Vec3& voxel_mm, const FieldOptions& options);

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
