// LSQR: Paige CC, Saunders MA. ACM Trans Math Softw 1982;8:43-71 (algorithm in section 4.1),
// started from a nonzero x by solving for the correction. Damping is solved as the augmented
// system [A; damp I] x ~ [b; 0] (their section 2): the correction dx then fits
// [b - A x; -damp x], so a nonzero start keeps damp ||x||, not damp ||dx||, in the objective.
#include "qsmtk/solvers/lsqr.h"

#include <cmath>

#include "qsmtk/aligned.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

LsqrResult lsqr(const LinearOperator& A, const LinearOperator& At, const float* b, int64_t m, float* x, int64_t n,
                const LsqrOptions& o) {
  // u and v are kept unnormalised (u = uu / beta, v = vv / alpha) and the scale is applied inside
  // the next pass that reads them, so each bidiagonalisation half-step is one pass that also
  // yields the new norm: the solver is bound by memory traffic between the operator's calls.
  LsqrResult res;
  const double damp = o.damp;
  const float fd = float(damp);
  // uu = [u1; u2]: u1 in data space (m), u2 the damping rows (n, only when damped).
  const int64_t mu = damp > 0 ? m + n : m;
  AlignedVector<float> uu(static_cast<size_t>(mu)), vv(static_cast<size_t>(n)), w(static_cast<size_t>(n)),
      dx(static_cast<size_t>(n), 0.0f), tm(static_cast<size_t>(m)), tn(static_cast<size_t>(n));
  float* u2 = uu.data() + m;
  const double bnorm = std::sqrt(deterministic_sum(m, [&](int64_t i) { return double(b[i]) * double(b[i]); }));
  if (bnorm == 0) {
    parallel_for(n, [&](int64_t i) { x[i] = 0.0f; });
    res.converged = true;
    return res;
  }
  // Adjoint of the augmented operator: out = A^T u1 + damp u2.
  auto adjoint = [&](float* out) {
    At(uu.data(), out);
    if (damp > 0) parallel_for(n, [&](int64_t i) { out[i] += fd * u2[i]; });
  };
  auto sq = [](float a) { return double(a) * double(a); };
  // uu = [b - A x; -damp x]
  A(x, tm.data());
  double beta2 = deterministic_sum(m, [&](int64_t i) { return sq(uu[i] = b[i] - tm[i]); });
  if (damp > 0) beta2 += deterministic_sum(n, [&](int64_t i) { return sq(u2[i] = -fd * x[i]); });
  double beta = std::sqrt(beta2);
  res.relative_residual = beta / bnorm;
  if (beta <= o.tolerance * bnorm) {
    res.converged = true;
    return res;
  }
  adjoint(tn.data());
  float fs = float(1 / beta);
  double alpha = std::sqrt(deterministic_sum(n, [&](int64_t i) { return sq(vv[i] = tn[i] * fs); }));
  if (alpha == 0) {
    res.converged = true;
    return res;
  }
  fs = float(1 / alpha);
  parallel_for(n, [&](int64_t i) { w[i] = vv[i] * fs; });
  double phibar = beta, rhobar = alpha, anorm2 = 0;
  while (res.iterations < o.max_iterations) {
    // Bidiagonalisation: beta u = A v - alpha u; alpha v = A^T u - beta v (A augmented).
    A(vv.data(), tm.data());
    const float a_inv = float(1 / alpha), a_over_b = float(alpha / beta);
    beta2 = deterministic_sum(m, [&](int64_t i) { return sq(uu[i] = tm[i] * a_inv - a_over_b * uu[i]); });
    if (damp > 0)
      beta2 += deterministic_sum(n, [&](int64_t i) { return sq(u2[i] = fd * vv[i] * a_inv - a_over_b * u2[i]); });
    const double alpha_old = alpha;
    beta = std::sqrt(beta2);
    if (beta > 0) {
      anorm2 += alpha * alpha + beta * beta;
      adjoint(tn.data());
      const float b_inv = float(1 / beta), b_over_a = float(beta / alpha);
      alpha = std::sqrt(deterministic_sum(n, [&](int64_t i) { return sq(vv[i] = tn[i] * b_inv - b_over_a * vv[i]); }));
    }
    // The QR step by a plane rotation.
    const double rho = std::hypot(rhobar, beta);
    const double cs = rhobar / rho, sn = beta / rho;
    const double theta = sn * alpha;
    rhobar = -cs * alpha;
    const double phi = cs * phibar;
    phibar = sn * phibar;
    const float t1 = float(phi / rho), t2 = float(-theta / rho);
    // v = vv / alpha (the previous v when beta = 0, which ends the loop below).
    const float v_scale = float(1 / (beta > 0 && alpha > 0 ? alpha : alpha_old));
    parallel_for(n, [&](int64_t i) {
      dx[i] += t1 * w[i];
      w[i] = vv[i] * v_scale + t2 * w[i];
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
