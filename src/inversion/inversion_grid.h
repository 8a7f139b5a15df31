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

  /// y = W D x and its adjoint x = D W y (W = weight), in the FFT's buffers (x, y distinct):
  /// the weighted data fit of iLSQR and of RTS's first step.
  void weighted_dipole(const float* x, float* y);
  void weighted_dipole_adjoint(const float* y, float* x);

  /// Periodic forward differences (per mm) and their negative adjoint (backward divergence).
  void gradient(const float* x, float* gx, float* gy, float* gz) const;
  void divergence(const float* gx, const float* gy, const float* gz, float* out) const;
  /// out = scale grad^T g for g = 3 blocks of size(): -scale times the divergence.
  void gradient_adjoint(const float* g, float* out, float scale) const;
  /// out = grad^T (w y) (w, y: 3 blocks of size()) in one pass.
  void weighted_gradient_adjoint(const float* w, const float* y, float* out) const;
  /// out = scale grad^T (a - b) in one pass (ADMM's x-step: a = z, b = u).
  void gradient_adjoint_of_difference(const float* a, const float* b, float* out, float scale) const;

  /// out = grad^T (C grad x) with C = diag(c_x, c_y, c_z) per voxel (c: 3 blocks of size()), in
  /// one pass: the lagged-diffusivity regulariser of MEDI without storing the gradient.
  void weighted_gradient_normal(const float* x, const float* c, float* out) const;

  /// Calls f(i, gx, gy, gz) with the periodic forward differences of x at every voxel, in
  /// parallel: lets a method consume grad x in the pass that computes it instead of storing it.
  template <typename F>
  void for_each_gradient(const float* x, F&& f) const;

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

template <typename F>
void InversionGrid::for_each_gradient(const float* x, F&& f) const {
  const int64_t nx = p_[0], ny = p_[1], nz = p_[2];
  const float ix = float(1 / h_[0]), iy = float(1 / h_[1]), iz = float(1 / h_[2]);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < nz; ++k) {
    const int64_t k1 = k + 1 == nz ? 0 : k + 1;
    for (int64_t j = 0; j < ny; ++j) {
      const int64_t j1 = j + 1 == ny ? 0 : j + 1;
      const int64_t row = nx * (j + ny * k), rowy = nx * (j1 + ny * k), rowz = nx * (j + ny * k1);
      // The row without its wrapping last voxel vectorises (each i touches only its own outputs).
#pragma omp simd
      for (int64_t i = 0; i < nx - 1; ++i) {
        const float c = x[row + i];
        f(row + i, (x[row + i + 1] - c) * ix, (x[rowy + i] - c) * iy, (x[rowz + i] - c) * iz);
      }
      const int64_t i = nx - 1;
      const float c = x[row + i];
      f(row + i, (x[row] - c) * ix, (x[rowy + i] - c) * iy, (x[rowz + i] - c) * iz);
    }
  }
}

/// The isotropic soft threshold by t of the 3-vector (a, b, c), in place: the prox of t ||.||_2
/// per voxel, i.e. of isotropic TV on gradient blocks.
inline void shrink_vector(float& a, float& b, float& c, float t) {
  const float mag = std::sqrt(a * a + b * b + c * c);
  const float f = mag > t ? 1.0f - t / mag : 0.0f;
  a *= f, b *= f, c *= f;
}

/// ADMM's z-step and dual update for an isotropic-TV split z = grad x (blocks of n values): with
/// v = grad x + u at voxel i, z = the soft threshold of v by t and u = v - z (TV, nltv, RTS).
inline void shrink_gradient_split(float gx, float gy, float gz, float* z, float* u, int64_t i, int64_t n, float t) {
  const float v0 = gx + u[i], v1 = gy + u[i + n], v2 = gz + u[i + 2 * n];
  float s0 = v0, s1 = v1, s2 = v2;
  shrink_vector(s0, s1, s2, t);
  z[i] = s0, z[i + n] = s1, z[i + 2 * n] = s2;
  u[i] = v0 - s0, u[i + n] = v1 - s1, u[i + 2 * n] = v2 - s2;
}

/// Gradient in D chi of the nonlinear data term w2 (1 - cos(s (d - f))) / s^2 at d = D chi:
/// w2 sin(s (d - f)) / s (MEDI, NDI and nltv's Newton step share it).
inline float nonlinear_data_gradient(float d, float field, float w2, float s) {
  return w2 > 0 ? w2 * std::sin(s * (d - field)) / s : 0.0f;
}

/// Weighted data misfit ||W (D chi - f)|| / sqrt(mask voxels) (ppm) and its L-curve partner.
double weighted_residual(InversionGrid& g, const float* chi);

}  // namespace qsmtk::detail
