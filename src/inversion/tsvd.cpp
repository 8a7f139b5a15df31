// TSVD: Wharton S, Schaefer A, Bowtell R. MRM 2010;63:1292-1304 (truncated k-space division
// with the ill-conditioned frequencies set to zero instead of clipped).
#include <cmath>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

InversionResult tsvd(const InversionInput& in, const TsvdOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "TSVD");
  if (!(o.threshold > 0 && o.threshold < 2.0 / 3.0)) throw std::invalid_argument("TSVD threshold must be in (0, 2/3)");
  detail::InversionGrid g(in, c);
  SpectralKernel inv(g.dipole().size());
  const float t = float(o.threshold);
  parallel_for(int64_t(inv.size()), [&](int64_t i) {
    const float d = g.dipole()[i];
    inv[i] = std::fabs(d) >= t ? 1.0f / d : 0.0f;
  });
  AlignedVector<float> chi(size_t(g.size()));
  g.convolve(g.field.data(), inv, chi.data());
  InversionResult r;
  r.chi = g.to_full(chi.data());
  r.method = "tsvd";
  r.lambda = o.threshold;
  r.lambda_name = "threshold";
  return r;
}

}  // namespace qsmtk
