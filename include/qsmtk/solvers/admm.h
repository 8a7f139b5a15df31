#pragma once
// ADMM in scaled form for min_x f(x) + g(K x) (Boyd et al., Found Trends Mach Learn
// 2011;3:1-122, section 3.1.1). The problem supplies the two sub-steps as callbacks; penalties may
// differ between blocks of z as long as both callbacks use the same ones. The solver knows nothing
// of MRI.
#include <cstdint>
#include <functional>

namespace qsmtk {

struct AdmmSplitting {
  int64_t n = 0;  // unknowns x
  int64_t m = 0;  // split variables z = K x
  /// x = argmin f(x) + 1/2 ||K x - v||^2_rho; also returns K x.
  std::function<void(const float* v, float* x, float* kx)> solve_x;
  /// z = argmin g(z) + 1/2 ||z - v||^2_rho.
  std::function<void(const float* v, float* z)> prox_g;
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

/// x holds the start on entry (z starts at K x through the first x-step from v = 0).
AdmmResult admm(const AdmmSplitting& problem, float* x, const AdmmOptions& options);

}  // namespace qsmtk
