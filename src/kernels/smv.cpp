#include "qsmtk/kernels/smv.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "qsmtk/parallel.h"

namespace qsmtk {

namespace {

// Partial-volume weights of the ellipsoid with semi-axes r * scale[d] (mm).
std::vector<BallVoxel> ellipsoid_voxels(const Vec3& h, double r, const double scale[3]) {
  constexpr int kSub = 8;  // subsamples per voxel and axis
  constexpr double kMinFraction = 0.05;
  std::vector<BallVoxel> ball;
  int reach[3];
  for (int d = 0; d < 3; ++d) reach[d] = static_cast<int>(std::ceil(r * scale[d] / h[d] + 0.5));
  double total = 0;
  const double inv[3] = {1 / (r * scale[0]), 1 / (r * scale[1]), 1 / (r * scale[2])};
  for (int k = -reach[2]; k <= reach[2]; ++k)
    for (int j = -reach[1]; j <= reach[1]; ++j)
      for (int i = -reach[0]; i <= reach[0]; ++i) {
        // Voxels wholly inside or outside need no subsampling (most of a large ball).
        double near2 = 0, far2 = 0;
        const int idx[3] = {i, j, k};
        for (int d = 0; d < 3; ++d) {
          const double lo = (idx[d] - 0.5) * h[d] * inv[d], hi = (idx[d] + 0.5) * h[d] * inv[d];
          const double n1 = (lo <= 0 && hi >= 0) ? 0.0 : std::min(std::fabs(lo), std::fabs(hi));
          const double f1 = std::max(std::fabs(lo), std::fabs(hi));
          near2 += n1 * n1, far2 += f1 * f1;
        }
        if (near2 > 1.0) continue;
        if (far2 <= 1.0) {
          ball.push_back({{i, j, k}, 1.0}), total += 1.0;
          continue;
        }
        int inside = 0;
        for (int c = 0; c < kSub; ++c)
          for (int b = 0; b < kSub; ++b)
            for (int a = 0; a < kSub; ++a) {
              const double x = (i + (a + 0.5) / kSub - 0.5) * h[0] * inv[0],
                           y = (j + (b + 0.5) / kSub - 0.5) * h[1] * inv[1],
                           z = (k + (c + 0.5) / kSub - 0.5) * h[2] * inv[2];
              inside += x * x + y * y + z * z <= 1.0;
            }
        const double fraction = double(inside) / (kSub * kSub * kSub);
        if (fraction >= kMinFraction) ball.push_back({{i, j, k}, fraction}), total += fraction;
      }
  for (BallVoxel& v : ball) v.weight /= total;
  return ball;
}

}  // namespace

std::vector<BallVoxel> ball_voxels(const Vec3& h, double r) {
  // Start from the ball; stretch its axes (keeping the volume) until the weights' second moment
  // is the same along x, y and z.
  double scale[3] = {1, 1, 1};
  std::vector<BallVoxel> ball;
  for (int it = 0; it < 6; ++it) {
    ball = ellipsoid_voxels(h, r, scale);
    double m[3] = {0, 0, 0};
    for (const auto& v : ball)
      for (int d = 0; d < 3; ++d) m[d] += v.weight * (v.offset[d] * h[d]) * (v.offset[d] * h[d]);
    const double mean = std::cbrt(m[0] * m[1] * m[2]);
    double worst = 0;
    for (int d = 0; d < 3; ++d) worst = std::max(worst, std::fabs(m[d] / mean - 1));
    if (worst < 1e-3) break;
    for (int d = 0; d < 3; ++d) scale[d] *= std::sqrt(mean / m[d]);
    const double g = std::cbrt(scale[0] * scale[1] * scale[2]);
    for (double& sd : scale) sd /= g;
  }
  return ball;
}

SpectralKernel smv_kernel(const Dims& n, const Vec3& h, double radius_mm) {
  RealFFT3 fft(n);
  return smv_kernel(fft, h, radius_mm);
}

SpectralKernel smv_kernel(RealFFT3& fft, const Vec3& h, double radius_mm) {
  const Dims& n = fft.dims();
  if (!(radius_mm >= std::min({h[0], h[1], h[2]})))
    throw std::invalid_argument("SMV radius " + std::to_string(radius_mm) + " mm is smaller than a voxel");
  const auto ball = ball_voxels(h, radius_mm);
  int reach[3] = {0, 0, 0};
  for (const auto& v : ball)
    for (int d = 0; d < 3; ++d) reach[d] = std::max(reach[d], std::abs(v.offset[d]));
  for (int d = 0; d < 3; ++d)
    if (2 * reach[d] + 1 > n[d]) throw std::invalid_argument("SMV sphere does not fit in the FFT grid");
  float* r = fft.real();
  std::fill(r, r + fft.real_size(), 0.0f);
  for (const auto& v : ball) {
    const int64_t i = (v.offset[0] + n[0]) % n[0], j = (v.offset[1] + n[1]) % n[1], k = (v.offset[2] + n[2]) % n[2];
    r[i + n[0] * (j + n[1] * k)] = float(v.weight);
  }
  fft.forward();
  // The ball is symmetric about voxel 0, so its DFT is real: keep the real part.
  SpectralKernel kernel(static_cast<size_t>(fft.spectrum_size()));
  const std::complex<float>* s = fft.spectrum();
  parallel_for(fft.spectrum_size(), [&](int64_t i) { kernel[i] = s[i].real(); });
  return kernel;
}

}  // namespace qsmtk
