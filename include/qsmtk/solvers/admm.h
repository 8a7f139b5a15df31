#pragma once
// ADMM in scaled form for min_x f(x) + g(K x) (Boyd et al., Found Trends Mach Learn
// 2011;3:1-122, section 3.1.1). The problem supplies the sub-steps as callbacks; penalties may
// differ between blocks of z as long as both callbacks use the same ones. The z-step and the dual
// update form one callback so that a problem can compute K x, the prox and the new dual in a
// single pass over memory (the iteration is bound by memory traffic, not arithmetic). The solver
// knows nothing of MRI.
#include <cstdint>
#include <functional>

namespace qsmtk {

struct AdmmSplitting {
  int64_t n = 0;  // unknowns x
  int64_t m = 0;  // split variables z = K x
  /// x = argmin f(x) + 1/2 ||K x - (z - u)||^2_rho. Returns the new x in storage of the problem's
  /// own, read before the next call.
  std::function<const float*(const float* z, const float* u)> solve_x;
  /// With k = K x: z = prox_g(k + u) = argmin g(z) + 1/2 ||z - (k + u)||^2_rho, then u += k - z.
  std::function<void(const float* x, float* z, float* u)> update_z_and_dual;
};

struct AdmmOptions {
  double tolerance = 1e-3;  // stop when ||x_k - x_{k-1}|| <= tolerance ||x_k||
  int max_iterations = 100;
  std::function<bool(int, double)> on_iteration;  // (iteration, relative change); false stops
};

struct AdmmResult {
  int iterations = 0;
  double relative_change = 0;
  bool converged = false;
};

/// x receives the result; z and u start at 0, so the first x-step sees only f.
AdmmResult admm(const AdmmSplitting& problem, float* x, const AdmmOptions& options);

}  // namespace qsmtk
