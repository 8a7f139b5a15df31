#pragma once
// Real-to-complex 3-D FFTs on FFTW (single precision, threaded). A plan pair and its aligned
// buffers are created once per grid and reused for every transform on that grid.
#include <complex>
#include <cstdint>
#include <memory>

#include "qsmtk/volume.h"

namespace qsmtk {

/// A length >= n whose only prime factors are 2, 3, 5 and 7, chosen for speed: the cheapest
/// such length up to 25% above n under a cost model fitted to FFTW timings.
int64_t fft_friendly_size(int64_t n);
/// Dims of an FFT grid that holds `dims` with at least `pad[d]` zero voxels on each side
/// (so periodic images are >= 2*pad apart), rounded up to FFT-friendly sizes.
Dims fft_padded_dims(const Dims& dims, const Dims& pad);
/// Padding (voxels per side) equal to `fraction` of each dimension, at least `min_voxels`.
Dims fft_pad_fraction(const Dims& dims, double fraction, int64_t min_voxels = 0);

/// Planner effort: estimate (instant, deterministic, default) or measure (slower to plan,
/// sometimes faster to run). QSMTK_FFT_PLANNER=measure selects the latter.
enum class FftPlanner { estimate, measure };
void set_fft_planner(FftPlanner planner);

/// r2c/c2r transform pair on a fixed real grid (x fastest). The spectrum holds kx = 0..nx/2
/// (FFTW's half-complex layout with x halved), then all ky, then all kz.
class RealFFT3 {
 public:
  explicit RealFFT3(const Dims& dims);
  ~RealFFT3();
  RealFFT3(RealFFT3&&) noexcept;
  RealFFT3& operator=(RealFFT3&&) noexcept;
  RealFFT3(const RealFFT3&) = delete;
  RealFFT3& operator=(const RealFFT3&) = delete;

  const Dims& dims() const;
  Dims spectrum_dims() const;  // {nx/2+1, ny, nz}
  int64_t real_size() const;
  int64_t spectrum_size() const;
  float* real();
  std::complex<float>* spectrum();

  /// real() -> spectrum(); real() is preserved.
  void forward();
  /// spectrum() -> real(), unscaled: backward(forward(x)) = N x with N = real_size().
  /// spectrum() is overwritten (FFTW's multi-dimensional c2r destroys its input).
  void backward();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Transforms run so far by every RealFFT3 (forward and backward each count one) and the voxels
/// they covered: benchmarks compare a method's time with its transforms' cost (the FFT floor).
struct FftCounters {
  int64_t transforms = 0;
  int64_t voxels = 0;
  Dims last_dims{0, 0, 0};  // grid of the latest transform
};
FftCounters fft_counters();

/// Signed frequency index of bin i on an axis of length n: 0..ceil(n/2)-1, then -floor(n/2)..-1.
inline int64_t frequency_index(int64_t i, int64_t n) { return i <= (n - 1) / 2 ? i : i - n; }
/// True for the unpaired Nyquist bin of an even-length axis, whose sign is ambiguous.
inline bool is_nyquist(int64_t i, int64_t n) { return n % 2 == 0 && i == n / 2; }

}  // namespace qsmtk
