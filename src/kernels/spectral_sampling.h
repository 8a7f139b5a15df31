#pragma once
// Samples an even function of the signed frequency index onto a half spectrum.
#include <array>

#include "qsmtk/convolution.h"
#include "qsmtk/parallel.h"

namespace qsmtk::detail {

/// kernel[ix, iy, iz] = value(m) for ix = 0..nx/2; on Nyquist bins, whose sign is ambiguous,
/// the mean over both signs, so that the sampled kernel is exactly even (self-adjoint).
template <typename F>
SpectralKernel sample_even_kernel(const Dims& n, F&& value) {
  const int64_t hx = n[0] / 2 + 1;
  SpectralKernel k(static_cast<size_t>(hx * n[1] * n[2]));
  parallel_for(n[2], [&](int64_t iz) {
    for (int64_t iy = 0; iy < n[1]; ++iy)
      for (int64_t ix = 0; ix < hx; ++ix) {
        const std::array<int64_t, 3> m{frequency_index(ix, n[0]), frequency_index(iy, n[1]), frequency_index(iz, n[2])};
        const bool nyq[3] = {is_nyquist(ix, n[0]), is_nyquist(iy, n[1]), is_nyquist(iz, n[2])};
        double sum = 0;
        int count = 0;
        for (int s = 0; s < 8; ++s) {
          if (((s & 1) && !nyq[0]) || ((s & 2) && !nyq[1]) || ((s & 4) && !nyq[2])) continue;
          const std::array<int64_t, 3> ms{(s & 1) ? -m[0] : m[0], (s & 2) ? -m[1] : m[1], (s & 4) ? -m[2] : m[2]};
          sum += value(ms);
          ++count;
        }
        k[static_cast<size_t>(ix + hx * (iy + n[1] * iz))] = static_cast<float>(sum / count);
      }
  });
  return k;
}

}  // namespace qsmtk::detail
