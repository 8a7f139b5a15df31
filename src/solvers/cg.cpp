// Preconditioned conjugate gradients (Hestenes & Stiefel 1952; Saad, Iterative Methods, alg. 9.1).
#include "qsmtk/solvers/cg.h"

#include <cmath>
#include <memory>
#include <vector>

#include "qsmtk/aligned.h"
#include "qsmtk/log.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

CgOptions cg_options_with_progress(const std::string& step, double tolerance, int max_iterations) {
  CgOptions o;
  o.tolerance = tolerance;
  o.max_iterations = max_iterations;
  auto progress = std::make_shared<log::Progress>(step, max_iterations);
  o.on_iteration = [progress](int it, double) {
    progress->update(it);
    return true;
  };
  return o;
}


CgResult conjugate_gradient(const LinearOperator& A, const float* b, float* x, int64_t n, const CgOptions& o,
                            const LinearOperator& M) {
  // Without a preconditioner z = r is not stored, and the residual norm comes out of the pass
  // that updates x and r: the solver is bound by memory traffic between the operator's calls.
  const size_t len = static_cast<size_t>(n);
  AlignedVector<float> r(len), p(len), q(len), z(M ? len : 0);
  auto dot = [n](const float* a, const float* c) {
    return deterministic_sum(n, [&](int64_t i) { return double(a[i]) * double(c[i]); });
  };
  CgResult res;
  const double bnorm = std::sqrt(dot(b, b));
  if (bnorm == 0) {
    parallel_for(n, [&](int64_t i) { x[i] = 0.0f; });
    res.converged = true;
    return res;
  }
  A(x, q.data());
  double rr = deterministic_sum(n, [&](int64_t i) {
    r[i] = b[i] - q[i];
    return double(r[i]) * double(r[i]);
  });
  const float* zp = r.data();  // the preconditioned residual
  if (M) M(r.data(), z.data()), zp = z.data();
  std::copy(zp, zp + n, p.begin());
  double rz = M ? dot(r.data(), zp) : rr;
  res.relative_residual = std::sqrt(rr) / bnorm;
  while (res.relative_residual > o.tolerance && res.iterations < o.max_iterations) {
    A(p.data(), q.data());
    const double pq = dot(p.data(), q.data());
    if (!(pq > 0)) break;  // not positive definite along p (or exact solution)
    const float alpha = float(rz / pq);
    rr = deterministic_sum(n, [&](int64_t i) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      return double(r[i]) * double(r[i]);
    });
    ++res.iterations;
    res.relative_residual = std::sqrt(rr) / bnorm;
    if (o.on_iteration && !o.on_iteration(res.iterations, res.relative_residual)) break;
    if (res.relative_residual <= o.tolerance) break;
    if (M) M(r.data(), z.data());
    const double rz_new = M ? dot(r.data(), zp) : rr;
    const float beta = float(rz_new / rz);
    rz = rz_new;
    parallel_for(n, [&](int64_t i) { p[i] = zp[i] + beta * p[i]; });
  }
  res.converged = res.relative_residual <= o.tolerance;
  return res;
}

}  // namespace qsmtk
