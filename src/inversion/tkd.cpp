#include "qsmtk/inversion/tkd.h"

#include <cmath>
#include <stdexcept>

#include "qsmtk/parallel.h"

namespace qsmtk {

Volume tkd(const Volume& field, const Mask& mask, const Vec3& b0, const TkdOptions& o) {
  require_same_space(field.grid(), mask.grid(), "TKD: field and mask");
  if (!(o.threshold > 0 && o.threshold <= 2.0 / 3.0)) throw std::invalid_argument("TKD threshold must be in (0, 2/3]");
  const int64_t n = field.voxels();
  Volume masked(field.grid());
  parallel_for(n, [&](int64_t i) { masked[i] = mask[i] ? field[i] : 0.0f; });
  Convolver conv(field.dims(), fft_padded_dims(field.dims(), fft_pad_fraction(field.dims(), o.pad_fraction)));
  SpectralKernel inv = dipole_kernel(conv.fft_dims(), field.grid().voxel_size, b0, o.kernel);
  const float t = float(o.threshold);
  parallel_for(int64_t(inv.size()), [&](int64_t i) {
    const float d = inv[i];
    // D(0) = 0: the mean of chi is undetermined; leave it at 0.
    inv[i] = d == 0.0f ? 0.0f : (std::fabs(d) >= t ? 1.0f / d : std::copysign(1.0f / t, d));
  });
  Volume chi(field.grid());
  conv.apply(masked.data(), inv, chi.data());
  parallel_for(n, [&](int64_t i) { chi[i] = mask[i] ? chi[i] : 0.0f; });
  return chi;
}

}  // namespace qsmtk
