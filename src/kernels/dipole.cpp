#include "qsmtk/kernels/dipole.h"

#include <cmath>

#include "spectral_sampling.h"

namespace qsmtk {

double dipole_kernel_value(const std::array<int64_t, 3>& m, const Dims& n, const Vec3& h, const Vec3& b,
                           DipoleKernelType type) {
  if (m[0] == 0 && m[1] == 0 && m[2] == 0) return 0.0;
  if (type == DipoleKernelType::continuous) {
    Vec3 k{};
    for (int d = 0; d < 3; ++d) k[d] = double(m[d]) / (double(n[d]) * h[d]);
    const double kb = dot(k, b);
    return 1.0 / 3.0 - kb * kb / dot(k, k);
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

SpectralKernel dipole_kernel(const Dims& fft_dims, const Vec3& voxel_mm, const Vec3& b0, DipoleKernelType type) {
  const Vec3 b = normalized(b0);
  return detail::sample_even_kernel(
      fft_dims, [&](const std::array<int64_t, 3>& m) { return dipole_kernel_value(m, fft_dims, voxel_mm, b, type); });
}

Volume dipole_convolve(const Volume& chi, const Vec3& b0, const Dims& pad, DipoleKernelType type) {
  Convolver conv(chi.dims(), fft_padded_dims(chi.dims(), pad));
  const SpectralKernel d = dipole_kernel(conv.fft_dims(), chi.grid().voxel_size, b0, type);
  Volume field(chi.grid());
  conv.apply(chi.data(), d, field.data());
  return field;
}

}  // namespace qsmtk
