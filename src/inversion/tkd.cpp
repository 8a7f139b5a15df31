#include "qsmtk/inversion/tkd.h"

#include <cmath>
#include <stdexcept>

#include "qsmtk/crop.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

Volume tkd(const Volume& field, const Mask& mask, const Vec3& b0, const TkdOptions& o) {
  require_same_space(field.grid(), mask.grid(), "TKD: field and mask");
  if (!(o.threshold > 0 && o.threshold <= 2.0 / 3.0)) throw std::invalid_argument("TKD threshold must be in (0, 2/3]");
  // Work on the mask's bounding box (the field is zero outside the mask), zero-padded by
  // pad_fraction of the box per side: the periodic images of the box are then at least its own
  // size away, as they were of the whole field of view before (half the FFT voxels at 1 mm).
  const Box box = bounding_box(mask, 0);
  const Mask inside = crop(mask, box);
  Volume masked = crop(field, box);
  const int64_t n = masked.voxels();
  parallel_for(n, [&](int64_t i) { masked[i] = inside[i] ? masked[i] : 0.0f; });
  Convolver conv(masked.dims(), fft_padded_dims(masked.dims(), fft_pad_fraction(masked.dims(), o.pad_fraction)));
  SpectralKernel inv = dipole_kernel(conv.fft_dims(), field.grid().voxel_size, b0, o.kernel);
  const float t = float(o.threshold);
  parallel_for(int64_t(inv.size()), [&](int64_t i) {
    const float d = inv[i];
    // D(0) = 0: the mean of chi is undetermined; leave it at 0.
    inv[i] = d == 0.0f ? 0.0f : (std::fabs(d) >= t ? 1.0f / d : std::copysign(1.0f / t, d));
  });
  conv.apply(masked.data(), inv, masked.data());
  parallel_for(n, [&](int64_t i) { masked[i] = inside[i] ? masked[i] : 0.0f; });
  Volume chi(field.grid());
  paste(masked, box, chi);
  return chi;
}

}  // namespace qsmtk
