// iSMV: Wen Y, Zhou D, Liu T, Spincemaille P, Wang Y. MRM 2014;72:1065-1071.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "qsmtk/bgremove/bgremove.h"
#include "qsmtk/solvers/cg.h"
#include "smv_common.h"

namespace qsmtk {

LocalField ismv(const Volume& total, const Mask& mask, const IsmvOptions& o) {
  require_same_space(total.grid(), mask.grid(), "iSMV: field and mask");
  const Vec3& h = total.grid().voxel_size;
  const double r = o.radius_mm > 0 ? o.radius_mm : 2 * std::max({h[0], h[1], h[2]});
  detail::SmvProblem p(total, mask, r);
  const SpectralKernel s = smv_kernel(p.conv.fft(), h, r);
  const Mask eroded = p.eroded(s);
  Convolver& conv = p.conv;
  const Mask& m = p.mask;
  const Volume& f = p.field;

  // Background: the total field on the rim, and inside the eroded mask the fixed point of Wen's
  // iteration b <- S b (mean-value property). On the eroded voxels E that fixed point solves
  // (I - E S E) b_E = E S rim, symmetric positive definite, so CG reaches it in tens of
  // iterations where the plain iteration needs thousands (its rate is 1 - O((r/L)^2)).
  const int64_t n = f.size();
  Volume rim(m.grid()), rhs(m.grid()), interior(m.grid()), tmp(m.grid());
  parallel_for(n, [&](int64_t i) { rim[i] = (m[i] && !eroded[i]) ? f[i] : 0.0f; });
  conv.apply(rim.data(), s, rhs.data());
  parallel_for(n, [&](int64_t i) { rhs[i] = eroded[i] ? rhs[i] : 0.0f; });
  const CgOptions co = cg_options_with_progress("iSMV", o.tolerance, o.max_iterations);
  const CgResult solve = conjugate_gradient(
      [&](const float* in, float* out) {
        parallel_for(n, [&](int64_t i) { tmp[i] = eroded[i] ? in[i] : 0.0f; });
        conv.apply(tmp.data(), s, out);
        parallel_for(n, [&](int64_t i) { out[i] = eroded[i] ? in[i] - out[i] : 0.0f; });
      },
      rhs.data(), interior.data(), n, co);
  const Volume& bg = interior;  // the background inside the eroded mask
  Volume local(m.grid());
  parallel_for(n, [&](int64_t i) { local[i] = eroded[i] ? f[i] - bg[i] : 0.0f; });
  return p.result(local, eroded, total.grid(), "ismv", solve.iterations, solve.relative_residual);
}

}  // namespace qsmtk
