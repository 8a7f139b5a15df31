#pragma once
// The unit dipole kernel that maps susceptibility (ppm) to the relative field (ppm).
#include "qsmtk/convolution.h"

namespace qsmtk {

enum class DipoleKernelType {
  /// D(k) = 1/3 - (k.b)^2/|k|^2, k in physical units (Salomir 2003; Marques & Bowtell 2005).
  continuous,
  /// Finite-difference form of 1/3 - (b.grad)^2 / Laplacian: 3-point second differences for the
  /// pure terms (symbol s_d^2, s_d = 2 sin(pi m_d/N_d)/h_d, as in the 7-point Laplacian) and
  /// central differences for the mixed terms (symbol c_d c_e, c_d = sin(2 pi m_d/N_d)/h_d).
  /// Unlike the sampled continuous kernel it has no jump across the Nyquist planes when B0 is
  /// oblique, so it models native-resolution data of oblique scans better (docs/accuracy.md).
  discrete,
};

/// D on the half spectrum of an FFT grid with voxel size `voxel_mm` and unit B0 direction `b0`
/// in array coordinates. D(0) = 0. Nyquist bins are averaged over both signs so D is even.
///
/// `nyquist_taper` in [0, 1): with the continuous kernel, the mixed terms b_d b_e k_d k_e are
/// tapered (raised cosine) to zero from that fraction of each axis' band up to its Nyquist
/// frequency, so the kernel is continuous across the Nyquist planes when B0 is oblique. 0 (the
/// default) leaves the kernel untouched. The simulator uses 0.6 on its supersampled grid, where
/// the taper lies above the output resolution (docs/accuracy.md).
SpectralKernel dipole_kernel(const Dims& fft_dims, const Vec3& voxel_mm, const Vec3& b0,
                             DipoleKernelType type = DipoleKernelType::continuous, double nyquist_taper = 0);

/// D at signed frequency index m (no Nyquist averaging). For tests and references.
double dipole_kernel_value(const std::array<int64_t, 3>& m, const Dims& fft_dims, const Vec3& voxel_mm,
                           const Vec3& b0, DipoleKernelType type, double nyquist_taper = 0);

/// field = D * chi on the volume's grid with zero padding of `pad` voxels per side
/// (chi outside the volume taken as 0). Same units in and out (ppm -> ppm).
Volume dipole_convolve(const Volume& chi, const Vec3& b0, const Dims& pad,
                       DipoleKernelType type = DipoleKernelType::continuous);

}  // namespace qsmtk
