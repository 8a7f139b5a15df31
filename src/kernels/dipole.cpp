#include "qsmtk/kernels/dipole.h"

#include <cmath>
#include <stdexcept>

#include "spectral_sampling.h"

namespace qsmtk {

namespace {
/// 1 below `start` (fraction of the band), raised cosine down to 0 at the Nyquist frequency.
double band_taper(int64_t m, int64_t n, double start) {
  if (start <= 0 || n < 2) return 1.0;
  const double x = std::fabs(double(m)) / (double(n) / 2.0);
  if (x <= start) return 1.0;
  return 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, (x - start) / (1.0 - start))));
}
}  // namespace

double dipole_kernel_value(const std::array<int64_t, 3>& m, const Dims& n, const Vec3& h, const Vec3& b,
                           DipoleKernelType type, double nyquist_taper) {
  if (m[0] == 0 && m[1] == 0 && m[2] == 0) return 0.0;
  if (type == DipoleKernelType::continuous) {
    Vec3 k{}, w{};
    for (int d = 0; d < 3; ++d) {
      k[d] = double(m[d]) / (double(n[d]) * h[d]);
      w[d] = band_taper(m[d], n[d], nyquist_taper);
    }
    double bb = 0;
    for (int d = 0; d < 3; ++d)
      for (int e = 0; e < 3; ++e) bb += b[d] * b[e] * k[d] * k[e] * (d == e ? 1.0 : w[d] * w[e]);
    return 1.0 / 3.0 - bb / dot(k, k);
  }
  double s2[3], c[3], laplacian = 0;
  for (int d = 0; d < 3; ++d) {
    const double s = 2.0 * std::sin(M_PI * double(m[d]) / double(n[d])) / h[d];
    s2[d] = s * s;
    c[d] = std::sin(2.0 * M_PI * double(m[d]) / double(n[d])) / h[d];
    laplacian += s2[d];
  }
  double bb = 0;
  for (int d = 0; d < 3; ++d)
    for (int e = 0; e < 3; ++e) bb += b[d] * b[e] * (d == e ? s2[d] : c[d] * c[e]);
  return 1.0 / 3.0 - bb / laplacian;
}

SpectralKernel dipole_kernel(const Dims& fft_dims, const Vec3& voxel_mm, const Vec3& b0, DipoleKernelType type,
                             double nyquist_taper) {
  if (!(nyquist_taper >= 0 && nyquist_taper < 1)) throw std::invalid_argument("Nyquist taper must be in [0, 1)");
  const Vec3 b = normalized(b0);
  return detail::sample_even_kernel(fft_dims, [&](const std::array<int64_t, 3>& m) {
    return dipole_kernel_value(m, fft_dims, voxel_mm, b, type, nyquist_taper);
  });
}

Volume dipole_convolve(const Volume& chi, const Vec3& b0, const Dims& pad, DipoleKernelType type) {
  Convolver conv(chi.dims(), fft_padded_dims(chi.dims(), pad));
  const SpectralKernel d = dipole_kernel(conv.fft_dims(), chi.grid().voxel_size, b0, type);
  Volume field(chi.grid());
  conv.apply(chi.data(), d, field.data());
  return field;
}

}  // namespace qsmtk
