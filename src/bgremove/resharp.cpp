// RESHARP: Sun H, Wilman AH. MRM 2014;71:1151-1157.
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/solvers/cg.h"
#include "smv_common.h"

namespace qsmtk {

LocalField resharp(const Volume& total, const Mask& mask, const ResharpOptions& o) {
  require_same_space(total.grid(), mask.grid(), "RESHARP: field and mask");
  if (!(o.radius_mm > 0) || !(o.lambda >= 0)) throw std::invalid_argument("RESHARP: radius > 0 and lambda >= 0");
  detail::SmvProblem p(total, mask, o.radius_mm);
  const SpectralKernel s = smv_kernel(p.conv.fft(), total.grid().voxel_size, o.radius_mm);
  const Mask eroded = p.eroded(s);
  Convolver& conv = p.conv;
  const Mask& m = p.mask;
  const Volume& f = p.field;
  SpectralKernel c(s.size());
  parallel_for(int64_t(s.size()), [&](int64_t i) { c[i] = 1.0f - s[i]; });

  // Normal equations (C^T M C + lambda) x = C^T M C f; C is symmetric (even kernel).
  const int64_t n = f.size();
  Volume tmp(m.grid());
  auto cmc = [&](const float* in, float* out) {
    conv.apply(in, c, tmp.data());
    parallel_for(n, [&](int64_t i) { tmp[i] = eroded[i] ? tmp[i] : 0.0f; });
    conv.apply(tmp.data(), c, out);
  };
  Volume b(m.grid()), x(m.grid());
  cmc(f.data(), b.data());
  const CgOptions co = cg_options_with_progress("RESHARP", o.tolerance, o.max_iterations);
  const float lambda = float(o.lambda);
  const CgResult r = conjugate_gradient(
      [&](const float* in, float* out) {
        cmc(in, out);
        parallel_for(n, [&](int64_t i) { out[i] += lambda * in[i]; });
      },
      b.data(), x.data(), n, co);
  parallel_for(n, [&](int64_t i) { x[i] = eroded[i] ? x[i] : 0.0f; });

  return p.result(x, eroded, total.grid(), "resharp", r.iterations, r.relative_residual);
}

}  // namespace qsmtk
