// Scaled-form ADMM: x = argmin f + rho/2||Kx - z + u||^2, z = prox_g(Kx + u), u += Kx - z.
#include "qsmtk/solvers/admm.h"

#include <cmath>

#include "qsmtk/aligned.h"
#include "qsmtk/parallel.h"

namespace qsmtk {

AdmmResult admm(const AdmmSplitting& p, float* x, const AdmmOptions& o) {
  const int64_t n = p.n, m = p.m;
  AlignedVector<float> z(static_cast<size_t>(m), 0.0f), u(static_cast<size_t>(m), 0.0f),
      v(static_cast<size_t>(m), 0.0f), kx(static_cast<size_t>(m)), prev(static_cast<size_t>(n));
  AdmmResult res;
  while (res.iterations < o.max_iterations) {
    std::copy(x, x + n, prev.begin());
    parallel_for(m, [&](int64_t i) { v[i] = z[i] - u[i]; });
    p.solve_x(v.data(), x, kx.data());
    parallel_for(m, [&](int64_t i) { v[i] = kx[i] + u[i]; });
    p.prox_g(v.data(), z.data());
    parallel_for(m, [&](int64_t i) { u[i] += kx[i] - z[i]; });
    ++res.iterations;
    const double dx = deterministic_sum(n, [&](int64_t i) {
      const double d = double(x[i]) - double(prev[i]);
      return d * d;
    });
    const double xx = deterministic_sum(n, [&](int64_t i) { return double(x[i]) * double(x[i]); });
    // x = 0 after the first step (z = u = 0 at the start) is not convergence.
    res.relative_change = xx > 0 ? std::sqrt(dx / xx) : (res.iterations > 1 && dx == 0 ? 0.0 : 1.0);
    if (o.on_iteration && !o.on_iteration(res.iterations, res.relative_change)) break;
    if (res.relative_change <= o.tolerance) {
      res.converged = true;
      break;
    }
  }
  return res;
}

}  // namespace qsmtk
