// RTS, rapid two-step dipole inversion: Kames C, Wiggermann V, Rauscher A. NeuroImage
// 2018;167:276-283.
//   Step 1: a few LSQR iterations on M D chi = M f (LSMR in the paper; both are Krylov methods
//           on the same normal equations), which resolve the well-conditioned k-space.
//   Step 2: keep that solution where |D| > delta and fill the ill-conditioned cone with the
//           total-variation-smallest continuation: min ||grad chi||_1 + mu/2 ||P (chi - chi1)||^2
//           (P the projection onto |D| > delta) by ADMM with z = grad chi; the chi-step is diagonal
//           in k-space.
#include <cmath>
#include <memory>
#include <stdexcept>

#include "inversion_grid.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"
#include "qsmtk/solvers/admm.h"
#include "qsmtk/solvers/lsqr.h"

namespace qsmtk {

InversionResult rts(const InversionInput& in, const RtsOptions& o, const InversionCommon& c) {
  detail::check_inversion_input(in, "RTS");
  if (!(o.delta > 0 && o.delta < 2.0 / 3.0) || !(o.mu > 0) || !(o.rho > 0) || o.max_iterations < 1 ||
      o.lsqr_iterations < 1)
    throw std::invalid_argument("RTS: delta must be in (0, 2/3), mu and rho > 0, iteration counts >= 1");
  detail::InversionGrid g(in, c);
  const int64_t np = g.size(), ns = g.spectrum_size();
  const SpectralKernel& d = g.dipole();
  RealFFT3& fft = g.fft();
  std::shared_ptr<log::Progress> progress;
  if (c.progress) progress = std::make_shared<log::Progress>("RTS", o.lsqr_iterations + o.max_iterations);

  // Step 1. A = W D (W = data weights, 0 off the mask); A^T = D W (D is self-adjoint).
  AlignedVector<float> chi1(static_cast<size_t>(np), 0.0f), b(static_cast<size_t>(np));
  parallel_for(np, [&](int64_t i) { b[i] = g.weight[i] * g.field[i]; });
  const LinearOperator A = [&](const float* x, float* y) { g.weighted_dipole(x, y); };
  const LinearOperator At = [&](const float* x, float* y) { g.weighted_dipole_adjoint(x, y); };
  LsqrOptions lo;
  lo.tolerance = o.lsqr_tolerance;
  lo.max_iterations = o.lsqr_iterations;
  lo.on_iteration = [&](int it, double) {
    if (progress) progress->update(it);
    return true;
  };
  const LsqrResult lr = lsqr(A, At, b.data(), np, chi1.data(), np, lo);

  // Step 2. mu P chi1 in k-space (unnormalised FFT) and the diagonal of the chi-step.
  const float mu = float(o.mu), rho = float(o.rho), inv_np = 1.0f / float(np), shrink = 1.0f / rho;
  const SpectralKernel& lap = g.laplacian_symbol();
  g.forward(chi1.data());
  AlignedVector<std::complex<float>> anchor(static_cast<size_t>(ns));
  SpectralKernel inv_denominator(static_cast<size_t>(ns));
  const std::complex<float>* sp0 = fft.spectrum();
  parallel_for(ns, [&](int64_t i) {
    const float p = std::fabs(d[i]) > o.delta ? 1.0f : 0.0f;
    anchor[i] = mu * p * sp0[i];
    const float den = mu * p + rho * lap[i];
    inv_denominator[i] = den > 0 ? inv_np / den : 0.0f;
  });
  AdmmSplitting split;
  split.n = np;
  split.m = 3 * np;
  split.solve_x = [&](const float* z, const float* u) {
    g.gradient_adjoint_of_difference(z, u, fft.real(), rho);
    fft.forward();
    std::complex<float>* sp = fft.spectrum();
    parallel_for(ns, [&](int64_t i) { sp[i] = (anchor[i] + sp[i]) * inv_denominator[i]; });
    fft.backward();
    return static_cast<const float*>(fft.real());
  };
  split.update_z_and_dual = [&](const float* x, float* z, float* u) {
    g.for_each_gradient(x, [&](int64_t i, float gx, float gy, float gz) {
      detail::shrink_gradient_split(gx, gy, gz, z, u, i, np, shrink);
    });
  };
  AdmmOptions ao;
  ao.tolerance = o.tolerance;
  ao.max_iterations = o.max_iterations;
  ao.on_iteration = [&](int it, double) {
    if (progress) progress->update(o.lsqr_iterations + it);
    return true;
  };
  AlignedVector<float> chi(static_cast<size_t>(np), 0.0f);
  const AdmmResult ar = admm(split, chi.data(), ao);
  if (progress) progress->finish();
  InversionResult res;
  res.chi = g.to_full(chi.data());
  res.method = "rts";
  res.iterations = lr.iterations + ar.iterations;
  res.relative_change = ar.relative_change;
  res.lambda = o.mu;
  res.lambda_name = "mu";
  return res;
}

}  // namespace qsmtk
