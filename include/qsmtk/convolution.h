#pragma once
// Convolution of volumes with real, even kernels given on an FFT grid's half spectrum, with
// zero padding to that grid. One Convolver owns one plan pair and reuses it for every call.
#include "qsmtk/aligned.h"
#include "qsmtk/fft.h"

namespace qsmtk {

/// Kernel values on the half spectrum of an FFT grid (RealFFT3::spectrum_size() floats).
/// Real and even (K(k) = K(-k), Nyquist bins included), so convolving with it is self-adjoint.
using SpectralKernel = AlignedVector<float>;

class Convolver {
 public:
  /// Volumes of size `dims`, placed at the origin corner of an FFT grid of size `fft_dims`
  /// (>= dims; the rest is zero padding). fft_dims == dims gives circular convolution.
  Convolver(const Dims& dims, const Dims& fft_dims);

  const Dims& dims() const { return dims_; }
  const Dims& fft_dims() const { return fft_.dims(); }
  RealFFT3& fft() { return fft_; }

  /// out = crop(IFFT(K * FFT(pad(in - offset)))). `in` and `out` may be the same array.
  /// `offset` is the value of the surrounding medium (the padding stands for it).
  void apply(const float* in, const SpectralKernel& kernel, float* out, float offset = 0.0f);

  /// Copies `in - offset` into fft().real() and zeroes the padding.
  void pad(const float* in, float offset = 0.0f);
  /// Copies the volume region of fft().real() to out, times `scale`.
  void crop(float* out, float scale = 1.0f);
  /// Multiplies fft().spectrum() by `kernel` * `scale`.
  void multiply_spectrum(const SpectralKernel& kernel, float scale);

 private:
  Dims dims_;
  RealFFT3 fft_;
};

}  // namespace qsmtk
