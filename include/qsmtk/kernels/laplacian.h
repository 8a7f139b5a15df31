#pragma once
// Laplacian operators: spectral (FFT) and finite difference (7-point), in 1/mm^2.
#include "qsmtk/convolution.h"

namespace qsmtk {

enum class LaplacianType {
  continuous,  ///< -4 pi^2 |k|^2, exact for band-limited periodic data
  discrete,    ///< sum_d (2 cos(2 pi m_d/N_d) - 2)/h_d^2, the symbol of the 7-point stencil
};

/// Laplacian symbol on the half spectrum of an FFT grid (<= 0; 0 at k = 0).
SpectralKernel laplacian_kernel(const Dims& fft_dims, const Vec3& voxel_mm, LaplacianType type);

enum class Boundary {
  periodic,  ///< wraps around; matches the discrete FFT Laplacian on the same grid
  neumann,   ///< mirror (zero normal derivative); equals divergence_backward(gradient_forward(x))
};

/// 7-point finite-difference Laplacian of `in` (dims, voxel size in mm) into `out`.
void laplacian_fd(const float* in, float* out, const Dims& dims, const Vec3& voxel_mm, Boundary boundary);

}  // namespace qsmtk
