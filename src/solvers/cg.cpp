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
  const size_t len = static_cast<size_t>(n);
  AlignedVector<float> r(len), z(len), p(len), q(len);
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
  parallel_for(n, [&](int64_t i) { r[i] = b[i] - q[i]; });
  if (M) M(r.data(), z.data());
  else std::copy(r.begin(), r.end(), z.begin());
  std::copy(z.begin(), z.end(), p.begin());
  double rz = dot(r.data(), z.data());
  res.relative_residual = std::sqrt(dot(r.data(), r.data())) / bnorm;
  while (res.relative_residual > o.tolerance && res.iterations < o.max_iterations) {
    A(p.data(), q.data());
    const double pq = dot(p.data(), q.data());
    if (!(pq > 0)) break;  // not positive definite along p (or exact solution)
    const float alpha = float(rz / pq);
    parallel_for(n, [&](int64_t i) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
    });
    ++res.iterations;
    res.relative_residual = std::sqrt(dot(r.data(), r.data())) / bnorm;
    if (o.on_iteration && !o.on_iteration(res.iterations, res.relative_residual)) break;
    if (res.relative_residual <= o.tolerance) break;
    if (M) M(r.data(), z.data());
    else std::copy(r.begin(), r.end(), z.begin());
    const double rz_new = dot(r.data(), z.data());
    const float beta = float(rz_new / rz);
    rz = rz_new;
    parallel_for(n, [&](int64_t i) { p[i] = z[i] + beta * p[i]; });
  }
  res.converged = res.relative_residual <= o.tolerance;
  return res;
}

}  // namespace qsmtk
