// LSQR: Paige CC, Saunders MA. ACM Trans Math Softw 1982;8:43-71 (algorithm in section 4.1),
// started from a nonzero x by solving for the correction. Damping is solved as the augmented
// system [A; damp I] x ~ [b; 0] (their section 2): the correction dx then fits
// [b - A x; -damp x], so a nonzero start keeps damp ||x||, not damp ||dx||, in the objective.
#include "qsmtk/solvers/lsqr.h"

#include <cmath>

#include "qsmtk/aligned.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

namespace {
double norm2(const float* a, int64_t n) {
  return std::sqrt(deterministic_sum(n, [&](int64_t i) { return double(a[i]) * double(a[i]); }));
}
void scale(float* a, int64_t n, double s) {
  const float f = float(s);
  parallel_for(n, [&](int64_t i) { a[i] *= f; });
}
}  // namespace

LsqrResult lsqr(const LinearOperator& A, const LinearOperator& At, const float* b, int64_t m, float* x, int64_t n,
                const LsqrOptions& o) {
  LsqrResult res;
  const double damp = o.damp;
  const float fd = float(damp);
  // u = [u1; u2]: u1 in data space (m), u2 the damping rows (n, only when damped).
  const int64_t mu = damp > 0 ? m + n : m;
  AlignedVector<float> u(static_cast<size_t>(mu)), v(static_cast<size_t>(n)), w(static_cast<size_t>(n)),
      dx(static_cast<size_t>(n), 0.0f), tm(static_cast<size_t>(m)), tn(static_cast<size_t>(n));
  float* u2 = u.data() + m;
  const double bnorm = norm2(b, m);
  if (bnorm == 0) {
    parallel_for(n, [&](int64_t i) { x[i] = 0.0f; });
    res.converged = true;
    return res;
  }
  // Adjoint of the augmented operator: out = A^T u1 + damp u2.
  auto adjoint = [&](float* out) {
    At(u.data(), out);
    if (damp > 0) parallel_for(n, [&](int64_t i) { out[i] += fd * u2[i]; });
  };
  // u = [b - A x; -damp x]
  A(x, tm.data());
  parallel_for(m, [&](int64_t i) { u[i] = b[i] - tm[i]; });
  if (damp > 0) parallel_for(n, [&](int64_t i) { u2[i] = -fd * x[i]; });
  double beta = norm2(u.data(), mu);
  res.relative_residual = beta / bnorm;
  if (beta <= o.tolerance * bnorm) {
    res.converged = true;
    return res;
  }
  scale(u.data(), mu, 1 / beta);
  adjoint(v.data());
  double alpha = norm2(v.data(), n);
  if (alpha == 0) {
    res.converged = true;
    return res;
  }
  scale(v.data(), n, 1 / alpha);
  std::copy(v.begin(), v.end(), w.begin());
  double phibar = beta, rhobar = alpha, anorm2 = 0;
  while (res.iterations < o.max_iterations) {
    // Bidiagonalisation: beta u = A v - alpha u; alpha v = A^T u - beta v (A augmented).
    A(v.data(), tm.data());
    const float fa = float(alpha);
    parallel_for(m, [&](int64_t i) { u[i] = tm[i] - fa * u[i]; });
    if (damp > 0) parallel_for(n, [&](int64_t i) { u2[i] = fd * v[i] - fa * u2[i]; });
    beta = norm2(u.data(), mu);
    if (beta > 0) {
      scale(u.data(), mu, 1 / beta);
      anorm2 += alpha * alpha + beta * beta;
      adjoint(tn.data());
      const float fb = float(beta);
      parallel_for(n, [&](int64_t i) { v[i] = tn[i] - fb * v[i]; });
      alpha = norm2(v.data(), n);
      if (alpha > 0) scale(v.data(), n, 1 / alpha);
    }
    // The QR step by a plane rotation.
    const double rho = std::hypot(rhobar, beta);
    const double cs = rhobar / rho, sn = beta / rho;
    const double theta = sn * alpha;
    rhobar = -cs * alpha;
    const double phi = cs * phibar;
    phibar = sn * phibar;
    const float t1 = float(phi / rho), t2 = float(-theta / rho);
    parallel_for(n, [&](int64_t i) {
      dx[i] += t1 * w[i];
      w[i] = v[i] + t2 * w[i];
    });
    ++res.iterations;
    res.relative_residual = phibar / bnorm;
    // ||A^T r|| estimate: phibar * alpha * |cos| (Paige & Saunders' test 2).
    const double atr = phibar * alpha * std::fabs(cs);
    const bool small_residual = res.relative_residual <= o.tolerance;
    const bool normal_eq = atr <= o.tolerance * std::sqrt(anorm2) * phibar;
    if (o.on_iteration && !o.on_iteration(res.iterations, res.relative_residual)) break;
    if (small_residual || normal_eq || alpha == 0 || beta == 0) {
      res.converged = true;
      break;
    }
  }
  parallel_for(n, [&](int64_t i) { x[i] += dx[i]; });
  return res;
}

}  // namespace qsmtk
