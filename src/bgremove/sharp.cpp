// SHARP: Schweser F, Deistung A, Lehr BW, Reichenbach JR. NeuroImage 2011;54:2789-2807.
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "smv_common.h"

namespace qsmtk {

LocalField sharp(const Volume& total, const Mask& mask, const SharpOptions& o) {
  require_same_space(total.grid(), mask.grid(), "SHARP: field and mask");
  if (!(o.radius_mm > 0) || !(o.threshold > 0 && o.threshold < 1))
    throw std::invalid_argument("SHARP: radius must be > 0 and threshold in (0, 1)");
  detail::SmvProblem p(total, mask, o.radius_mm);
  const SpectralKernel s = smv_kernel(p.conv.fft(), total.grid().voxel_size, o.radius_mm);
  const Mask eroded = p.eroded(s);

  SpectralKernel high_pass(s.size()), inverse(s.size());
  parallel_for(int64_t(s.size()), [&](int64_t i) {
    high_pass[i] = 1.0f - s[i];
    inverse[i] = std::fabs(high_pass[i]) >= o.threshold ? 1.0f / high_pass[i] : 0.0f;
  });
  Volume local(p.mask.grid());
  p.conv.apply(p.field.data(), high_pass, local.data());
  parallel_for(local.size(), [&](int64_t i) { local[i] = eroded[i] ? local[i] : 0.0f; });
  p.conv.apply(local.data(), inverse, local.data());
  parallel_for(local.size(), [&](int64_t i) { local[i] = eroded[i] ? local[i] : 0.0f; });
  return p.result(local, eroded, total.grid(), "sharp");
}

}  // namespace qsmtk
