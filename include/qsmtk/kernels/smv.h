#pragma once
// Spherical mean value (SMV) kernel: the normalised indicator of a ball of radius r (mm),
// sampled on the voxel grid, so anisotropic voxels give an ellipsoid in voxel units.
#include <array>
#include <vector>

#include "qsmtk/convolution.h"

namespace qsmtk {

/// Voxel offsets (di, dj, dk) with (di hx)^2 + (dj hy)^2 + (dk hz)^2 <= r^2.
std::vector<std::array<int, 3>> sphere_offsets(const Vec3& voxel_mm, double radius_mm);

/// FFT of the normalised sphere (sums to 1) centred on voxel 0 of a circulant FFT grid.
/// Real and even. Throws when the ball holds only the centre voxel (radius below a voxel).
SpectralKernel smv_kernel(const Dims& fft_dims, const Vec3& voxel_mm, double radius_mm);

}  // namespace qsmtk
