#include "qsmtk/kernels/smv.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "qsmtk/parallel.h"

namespace qsmtk {

std::vector<std::array<int, 3>> sphere_offsets(const Vec3& h, double r) {
  std::vector<std::array<int, 3>> offsets;
  const int ri = static_cast<int>(std::floor(r / h[0])), rj = static_cast<int>(std::floor(r / h[1])),
            rk = static_cast<int>(std::floor(r / h[2]));
  for (int k = -rk; k <= rk; ++k)
    for (int j = -rj; j <= rj; ++j)
      for (int i = -ri; i <= ri; ++i) {
        const double d2 = (i * h[0]) * (i * h[0]) + (j * h[1]) * (j * h[1]) + (k * h[2]) * (k * h[2]);
        if (d2 <= r * r * (1 + 1e-12)) offsets.push_back({i, j, k});
      }
  return offsets;
}

SpectralKernel smv_kernel(const Dims& n, const Vec3& h, double radius_mm) {
  const auto offsets = sphere_offsets(h, radius_mm);
  if (offsets.size() <= 1)
    throw std::invalid_argument("SMV radius " + std::to_string(radius_mm) + " mm is smaller than a voxel");
  for (int d = 0; d < 3; ++d)
    if (2 * std::floor(radius_mm / h[d]) + 1 > n[d])
      throw std::invalid_argument("SMV sphere does not fit in the FFT grid");
  RealFFT3 fft(n);
  float* r = fft.real();
  const float w = 1.0f / static_cast<float>(offsets.size());
  for (const auto& o : offsets) {
    const int64_t i = (o[0] + n[0]) % n[0], j = (o[1] + n[1]) % n[1], k = (o[2] + n[2]) % n[2];
    r[i + n[0] * (j + n[1] * k)] = w;
  }
  fft.forward();
  // The ball is symmetric about voxel 0, so its DFT is real: keep the real part.
  SpectralKernel kernel(static_cast<size_t>(fft.spectrum_size()));
  const std::complex<float>* s = fft.spectrum();
  parallel_for(fft.spectrum_size(), [&](int64_t i) { kernel[i] = s[i].real(); });
  return kernel;
}

}  // namespace qsmtk
