// Scaled-form ADMM: x = argmin f + rho/2||Kx - z + u||^2, z = prox_g(Kx + u), u += Kx - z.
#include "qsmtk/solvers/admm.h"

#include <cmath>
#include <vector>

#include "qsmtk/aligned.h"

namespace qsmtk {

namespace {

/// x = x_new, returning ||x_new - x_old||^2 and ||x_new||^2 from the same pass; fixed chunks
/// summed in order keep the result independent of the thread count.
void copy_with_change(const float* x_new, float* x, int64_t n, double& change2, double& norm2) {
  constexpr int64_t chunk = 1 << 14;
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> dd(static_cast<size_t>(chunks)), xx(static_cast<size_t>(chunks));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    double a = 0, b = 0;
    const int64_t e = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (int64_t i = c * chunk; i < e; ++i) {
      const double d = double(x_new[i]) - double(x[i]);
      a += d * d;
      b += double(x_new[i]) * double(x_new[i]);
      x[i] = x_new[i];
    }
    dd[static_cast<size_t>(c)] = a, xx[static_cast<size_t>(c)] = b;
  }
  change2 = norm2 = 0;
  for (int64_t c = 0; c < chunks; ++c) change2 += dd[static_cast<size_t>(c)], norm2 += xx[static_cast<size_t>(c)];
}

}  // namespace

AdmmResult admm(const AdmmSplitting& p, float* x, const AdmmOptions& o) {
  AlignedVector<float> z(static_cast<size_t>(p.m), 0.0f), u(static_cast<size_t>(p.m), 0.0f);
  AdmmResult res;
  while (res.iterations < o.max_iterations) {
    const float* x_new = p.solve_x(z.data(), u.data());
    double dx = 0, xx = 0;
    copy_with_change(x_new, x, p.n, dx, xx);
    ++res.iterations;
    // x = 0 after the first step (z = u = 0 at the start) is not convergence.
    res.relative_change = xx > 0 ? std::sqrt(dx / xx) : (res.iterations > 1 && dx == 0 ? 0.0 : 1.0);
    if (o.on_iteration && !o.on_iteration(res.iterations, res.relative_change)) break;
    if (res.relative_change <= o.tolerance) {
      res.converged = true;
      break;
    }
    p.update_z_and_dual(x, z.data(), u.data());
  }
  return res;
}

}  // namespace qsmtk
