#pragma once
// Conjugate gradients for symmetric positive (semi-)definite systems A x = b, with an optional
// preconditioner. Operators are callbacks on flat float arrays; the solver knows nothing of MRI.
// Inner products accumulate in double with a fixed order, so results do not depend on threads.
#include <cstdint>
#include <functional>
#include <string>

namespace qsmtk {

using LinearOperator = std::function<void(const float* in, float* out)>;

struct CgOptions {
  double tolerance = 1e-6;  // stop when ||r|| <= tolerance ||b||
  int max_iterations = 500;
  /// Called after every iteration with (iteration, relative residual); return false to stop.
  std::function<bool(int, double)> on_iteration;
};

struct CgResult {
  int iterations = 0;
  double relative_residual = 0;
  bool converged = false;
};

/// Options that stop at `tolerance` or `max_iterations` and show each iteration on a progress
/// line named `step` (held by the returned options until they are destroyed).
CgOptions cg_options_with_progress(const std::string& step, double tolerance, int max_iterations);

/// Solves A x = b for n unknowns; x holds the start on entry and the solution on return.
/// `precondition`, when given, applies M^-1 (symmetric positive definite).
CgResult conjugate_gradient(const LinearOperator& A, const float* b, float* x, int64_t n, const CgOptions& options,
                            const LinearOperator& precondition = nullptr);

}  // namespace qsmtk
