// Closed-form Tikhonov-regularised inversion, chi = F^-1[ D F(f) / (D^2 + lambda R) ] with
// R = 1 or the gradient's symbol |G|^2 (Bilgic B et al., MRM 2014;72:1444-1459; Kressler B et
// al., IEEE TMI 2010;29:273-281).
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

InversionResult tikhonov(const InversionInput& in, const TikhonovOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "Tikhonov");
  const bool gradient = o.regulariser == TikhonovOptions::Regulariser::gradient;
  const double lambda = o.lambda > 0 ? o.lambda : (gradient ? 3e-3 : 1e-3);
  if (!(lambda > 0)) throw std::invalid_argument("Tikhonov lambda must be > 0");
  detail::InversionGrid g(in, c);
  const SpectralKernel& d = g.dipole();
  SpectralKernel filter(d.size());
  const SpectralKernel* r = gradient ? &g.laplacian_symbol() : nullptr;
  const float l = float(lambda);
  parallel_for(int64_t(d.size()), [&](int64_t i) {
    const float reg = r ? (*r)[i] : 1.0f;
    const float den = d[i] * d[i] + l * reg;
    filter[i] = den > 0 ? d[i] / den : 0.0f;  // k = 0 with the gradient: mean undetermined, 0
  });
  AlignedVector<float> chi(size_t(g.size()));
  g.convolve(g.field.data(), filter, chi.data());
  InversionResult res;
  res.chi = g.to_full(chi.data());
  res.method = "tikhonov";
  res.lambda = lambda;
  res.lambda_name = gradient ? "lambda (gradient)" : "lambda (identity)";
  return res;
}

}  // namespace qsmtk
