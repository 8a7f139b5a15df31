#pragma once
// Shared by the inversion methods: the mask's bounding box placed at the origin of a zero-padded
// FFT grid, the field and data weights there, the dipole kernel and the finite-difference
// symbols on that grid, periodic gradients that those symbols diagonalise, and the way back to
// the full grid.
#include <cmath>
#include <complex>
#include <string>

#include "qsmtk/aligned.h"
#include "qsmtk/crop.h"
#include "qsmtk/fft.h"
#include "qsmtk/inversion/inversion.h"

namespace qsmtk::detail {

/// Throws std::invalid_argument unless field, mask (and noise, magnitude, csf when given) share a
/// grid, the mask is not empty and the field is finite inside it. `who` names the method.
void check_inversion_input(const InversionInput& in, const std::string& who);

/// Radians per ppm for the nonlinear data terms (the input's, or 3 T at 20 ms).
double phase_scale(const InversionInput& in);

class InversionGrid {
 public:
  InversionGrid(const InversionInput& in, const InversionCommon& c);

  const Dims& dims() const { return p_; }         // the padded FFT grid
  const Dims& box_dims() const { return box_.size; }
  const Vec3& voxel() const { return h_; }
  int64_t size() const { return np_; }             // voxels of the padded grid
  int64_t spectrum_size() const { return ns_; }
  RealFFT3& fft() { return fft_; }

  const SpectralKernel& dipole() const { return d_; }
  /// |G|^2 = sum_d (2 sin(pi m_d / N_d) / h_d)^2, the symbol of -div grad with periodic forward
  /// differences (computed on first use).
  const SpectralKernel& laplacian_symbol();

  // On the padded grid (0 outside the mask / box):
  AlignedVector<float> field;  // ppm
  AlignedVector<float> weight; // data weight W: min(1, median noise / noise), 1 without noise; 0 off mask
  AlignedVector<uint8_t> mask;
  double noise_median = 0;     // ppm; 0 without a noise map
  int64_t mask_voxels = 0;

  /// fft().spectrum() = FFT(in) (in: np floats).
  void forward(const float* in);
  /// out = IFFT(fft().spectrum()) / np. Destroys the spectrum.
  void backward(float* out);
  /// out = IFFT(K FFT(in)), K real and even (e.g. the dipole). in and out may alias.
  void convolve(const float* in, const SpectralKernel& k, float* out);

  /// Periodic forward differences (per mm) and their negative adjoint (backward divergence).
  void gradient(const float* x, float* gx, float* gy, float* gz) const;
  void divergence(const float* gx, const float* gy, const float* gz, float* out) const;
  /// out = scale grad^T g for g = 3 blocks of size(): -scale times the divergence.
  void gradient_adjoint(const float* g, float* out, float scale) const;

  /// chi on the padded grid -> the full input grid, 0 outside the mask.
  Volume to_full(const float* chi_padded) const;
  /// A full-grid volume (e.g. magnitude) on the padded grid, 0 outside the box.
  AlignedVector<float> to_padded(const Volume& v) const;

 private:
  Box box_;
  Dims p_;
  Vec3 h_;
  int64_t np_, ns_;
  RealFFT3 fft_;
  SpectralKernel d_, lap_;
  Grid full_;
  const Mask& full_mask_;
};

/// z = the isotropic soft threshold by t of the 3-vector (v[i], v[i + n], v[i + 2n]) (the prox of
/// t ||.||_2 per voxel, i.e. of isotropic TV on gradient blocks).
inline void shrink_gradient(const float* v, float* z, int64_t i, int64_t n, float t) {
  const float a = v[i], b = v[i + n], c = v[i + 2 * n];
  const float mag = std::sqrt(a * a + b * b + c * c);
  const float f = mag > t ? 1.0f - t / mag : 0.0f;
  z[i] = a * f, z[i + n] = b * f, z[i + 2 * n] = c * f;
}

/// Gradient in D chi of the nonlinear data term w2 (1 - cos(s (d - f))) / s^2 at d = D chi:
/// w2 sin(s (d - f)) / s (MEDI, NDI and nltv's Newton step share it).
inline float nonlinear_data_gradient(float d, float field, float w2, float s) {
  return w2 > 0 ? w2 * std::sin(s * (d - field)) / s : 0.0f;
}

/// Weighted data misfit ||W (D chi - f)|| / sqrt(mask voxels) (ppm) and its L-curve partner.
double weighted_residual(InversionGrid& g, const float* chi);

}  // namespace qsmtk::detail
