#include "qsmtk/kernels/laplacian.h"

#include <cmath>

#include "qsmtk/parallel.h"
#include "spectral_sampling.h"

namespace qsmtk {

SpectralKernel laplacian_kernel(const Dims& n, const Vec3& h, LaplacianType type) {
  return detail::sample_even_kernel(n, [&](const std::array<int64_t, 3>& m) {
    double s = 0;
    for (int d = 0; d < 3; ++d) {
      if (type == LaplacianType::continuous) {
        const double k = double(m[d]) / (double(n[d]) * h[d]);
        s -= 4 * M_PI * M_PI * k * k;
      } else {
        s += (2 * std::cos(2 * M_PI * double(m[d]) / double(n[d])) - 2) / (h[d] * h[d]);
      }
    }
    return s;
  });
}

void laplacian_fd(const float* in, float* out, const Dims& n, const Vec3& h, Boundary boundary) {
  const double w[3] = {1 / (h[0] * h[0]), 1 / (h[1] * h[1]), 1 / (h[2] * h[2])};
  const bool periodic = boundary == Boundary::periodic;
  // Neighbour index along one axis: wrapped, or mirrored onto itself (zero normal derivative).
  auto nb = [periodic](int64_t i, int64_t step, int64_t len) {
    const int64_t j = i + step;
    if (j >= 0 && j < len) return j;
    return periodic ? (j + len) % len : i;
  };
  parallel_for(n[2], [&](int64_t k) {
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        auto at = [&](int64_t a, int64_t b, int64_t c) { return double(in[a + n[0] * (b + n[1] * c)]); };
        const double c0 = at(i, j, k);
        const double s = w[0] * (at(nb(i, -1, n[0]), j, k) + at(nb(i, 1, n[0]), j, k) - 2 * c0) +
                         w[1] * (at(i, nb(j, -1, n[1]), k) + at(i, nb(j, 1, n[1]), k) - 2 * c0) +
                         w[2] * (at(i, j, nb(k, -1, n[2])) + at(i, j, nb(k, 1, n[2])) - 2 * c0);
        out[i + n[0] * (j + n[1] * k)] = static_cast<float>(s);
      }
  });
}

}  // namespace qsmtk
