#pragma once
// LSQR for least squares min ||A x - b||^2 + damp^2 ||x||^2 (Paige & Saunders, ACM TOMS
// 1982;8:43-71). A and its adjoint are callbacks on flat float arrays; the solver knows nothing
// of MRI. Inner products accumulate in double in a fixed order (thread-count independent).
#include <cstdint>
#include <functional>

#include "qsmtk/solvers/cg.h"

namespace qsmtk {

struct LsqrOptions {
  double tolerance = 1e-6;  // stop when ||A^T r|| <= tolerance ||A|| ||r|| (estimates) or ||r|| <= tolerance ||b||
  int max_iterations = 100;
  double damp = 0;
  std::function<bool(int, double)> on_iteration;  // (iteration, ||r|| / ||b||); false stops
};

struct LsqrResult {
  int iterations = 0;
  double relative_residual = 0;  // ||[b - A x; damp x]|| / ||b|| (estimate)
  bool converged = false;
};

/// A maps n unknowns to m data; A_adjoint maps back. x holds the start (usually 0) on entry.
LsqrResult lsqr(const LinearOperator& A, const LinearOperator& A_adjoint, const float* b, int64_t m, float* x,
                int64_t n, const LsqrOptions& options);

}  // namespace qsmtk
